/*
 * server_h2o.c - the HTTP server of http.h on h2o's event loop (Debian's
 * libh2o-evloop; docs/http-server.md says why). One loop thread owns every
 * listener and connection of a server; h2o parses HTTP/1.x (keep-alive,
 * pipelining, chunked bodies, 413 over max_request_entity_size, 400 for
 * malformed requests) and HTTP/2 cleartext. This file routes each request
 * (route.c), answers what needs no handler (404, 405, 431, 503) on the
 * loop, and turns the rest into exchanges whose handlers run as tasks of
 * the scheduler (exchange.c): the first slice here, on the loop
 * (wf_sched_run_here; what it wrote is pumped when the slice ends), the
 * rest, once it waits or the watchdog made it yield after INLINE_SLICE_NS,
 * on the workers. A worker's output comes back through one h2o
 * multithread message per exchange (set when it is not queued yet); the
 * loop sends it, and h2o's `proceed` says when the client took it.
 *
 * HTTP/1.x request bodies are read here, not by h2o (which would read all
 * of one first): the head guard shows each head to on_head, which renames
 * its framing fields so that h2o hands the request over at once; on_req
 * then reads the body off the socket itself (body_pull, decoding with
 * body_in.c) into the exchange: streamed to handlers that read it as it
 * comes, up to a window ahead of them, else whole before the handler
 * starts (docs/http-server.md, "Request bodies"). What follows a request
 * (pipelined ones) is held out of h2o's sight until h2o waits for the
 * next request, and then read through the guard (on_conn_resume), so
 * that every head of a pipeline is checked and has its body read here.
 *
 * Lifetime of an exchange (h2x): it lives while its request lives (h2o
 * frees the request's memory pool when the response is sent or the
 * connection closes; a shared allocation with a dispose callback tells us)
 * and while its handler task runs (exchange_done's message). Both ends are
 * seen on the loop thread only, which frees it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "http/head_guard.h"
#include "http/http_int.h"
#include "http/syntax.h"
#include "wasm/code.h"

/* How long a handler's slice may run on the loop before it is asked to
 * yield (and goes on on the workers). */
#define INLINE_SLICE_NS (2u * 1000000u)
/* The watchdog's retry tick for a slice that did not yield yet; it sleeps
 * for good after this many ticks without a slice. */
#define WATCHDOG_TICK_NS (1u * 1000000u)
#define WATCHDOG_IDLE_TICKS 1000
/* The signal the watchdog sends the loop thread (ignored by default, so a
 * stray one harms nothing). */
#define YIELD_SIGNAL SIGURG
/* The name of each service's one h2o host entry: h2o gives it as the
 * authority of a request that names none (no Host header). */
#define NO_HOST "wasmfn.no-host.invalid"
/* Freed exchanges a server keeps for reuse (h2x_new). */
#define SPARE_EXCHANGES 64
/* A spare exchange keeps its request block and response buffers up to
 * this size for the next request (a malloc and a free each, saved). */
#define SPARE_KEEP_BYTES 4096

typedef struct h2x h2x;

typedef struct svc_handler {
    h2o_handler_t super;
    wf_http_service *svc;
} svc_handler;

typedef struct svc_logger {
    h2o_logger_t super;
    wf_http_service *svc;
} svc_logger;

/* A connection as the timeouts see it (h2o 2.2 has one timer for HTTP/1.1,
 * `req_timeout`, from the end of a response to the next request's head,
 * so it cannot tell keep-alive idling from a slow head). Made at accept,
 * freed when h2o closes the socket (its on_close) and no request of it
 * lives. The loop's sweep (sweep_conns) closes, by shutdown(2) of the
 * socket (h2o then sees the end and closes it itself):
 *   - one with no request in flight that received nothing for
 *     timeouts.idle since its last response (keep-alive idling);
 *   - one whose next request (head and body) is still arriving after
 *     timeouts.read (a slow or stalled client).
 * h2o's req_timeout stays as a backstop at the larger of the two. */
typedef struct conn_track {
    wf_http_head_guard guard;      /* first: the guard finds itself in sock->on_close.data */
    /* A request ended and the connection stays: the guard goes back in
     * front of h2o's reader, and gives it what was pipelined behind
     * (wf_http_head_guard_resume), from the loop's zero timer, once h2o
     * waits for the next request. */
    h2o_timeout_entry_t resume;
    wf_http_service *svc;
    h2o_socket_t *sock;            /* NULL once h2o closed it */
    h2o_linklist_t link;           /* svc->conns */
    uint64_t since_ns;             /* last response's end (or accept) */
    uint64_t arriving_ns;          /* first byte of the next request seen (0: none yet) */
    size_t seen_read;              /* sock->bytes_read at the last sweep */
    uint32_t inflight;             /* requests routed and not disposed */
    bool served, shut, h2;
    /* The peer's address as handlers see it ("127.0.0.1:51234"), made by
     * the connection's first request (peer_text) and kept for the rest:
     * it cannot change, and printing it is ~450 instructions a request. */
    bool remote_set;
    char remote[INET6_ADDRSTRLEN + 9];
    /* A head whose body the server reads itself (on_head): its framing,
     * for the on_req that h2o calls with that head right after. */
    http_body_head next_body;
    bool next_body_set;
    struct h2x *body_hx;           /* the request whose body is being read */
} conn_track;

struct wf_http_service {
    wf_http_server *srv;
    char *name, *addr;
    wf_http_service_config cfg;
    h2o_globalconf_t conf;
    h2o_context_t ctx;
    h2o_accept_ctx_t actx;
    bool ctx_ready;
    int fd, port;
    h2o_socket_t *listener;
    pthread_mutex_t mu;            /* routes, routes_gen's changes */
    wf_http_routes *routes;
    _Atomic uint32_t routes_gen;   /* routes replaced this many times */
    /* The loop's own reference to the routes as of loop_gen (loop
     * thread): taken again under mu only once routes_gen moved (a reload),
     * so a request costs an atomic load, not a lock round trip. */
    wf_http_routes *loop_routes;
    uint32_t loop_gen;
    h2o_linklist_t conns;          /* conn_track (loop thread) */
};

struct wf_http_server {
    wf_http_server_config cfg;
    wf_sched_group *group;
    h2o_evloop_t *loop;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t exchanges;   /* handlers' news */
    h2o_multithread_receiver_t control;     /* stop */
    h2o_multithread_message_t stop_msg;
    WF_VEC(wf_http_service *) svcs;
    pthread_t thread;
    bool started, stopped;
    atomic_bool quit;
    uint32_t drain_ms;
    bool draining;
    uint64_t drain_deadline_ns;
    h2o_linklist_t live;                    /* every h2x alive (loop thread) */
    wf_http_server *retired_next;           /* wf_http_server_free's list */
    size_t nlive;
    bool inline_handlers;                   /* handlers start on the loop (wf_sched_run_here) */
    /* The loop's clock for what needs no more than the current batch's
     * precision (the connections' timeouts): read by the batch's first
     * user (loop_now) or its first request, 0 between batches. */
    uint64_t now_ns;
    /* Exchanges freed, kept for the next requests (loop thread): an h2x
     * is larger than malloc's per-thread cache takes (1,032 bytes), so
     * each calloc and free took its slow path (~500 instructions). */
    struct h2x *spare;
    size_t nspare;
    /* The watchdog: a handler's slice on the loop that runs past
     * INLINE_SLICE_NS gets a signal, whose handler asks the running call
     * to yield (wf_exec_request_yield): its fiber then goes on on the
     * workers and the loop serves again. Written by the loop, read by it. */
    _Atomic uint64_t slice_start_ns;        /* 0: no slice running */
    _Atomic uint64_t slice_seq;             /* slices started */
    atomic_bool wd_asleep;
    pthread_mutex_t wd_mu;
    pthread_cond_t wd_cv;
    pthread_t wd_thread;
    bool wd_started;
    /* Handlers woken from a park come back to the loop (their task's home
     * hook, h2x_home) rather than to a worker: the loop is woken anyway to
     * send what they write, so the worker's wake-up and hand-off is saved.
     * A list under home_mu, and one message (home_msg) that rings while
     * the list is not empty; closed once the loop ends (the workers take
     * them from then on). */
    pthread_mutex_t home_mu;
    h2o_multithread_receiver_t homes;
    h2o_multithread_message_t home_msg;
    struct h2x *home_head, *home_tail;
    bool home_rung, home_closed;
};

struct h2x {
    wf_http_exchange x;            /* first: the task is its first member */
    wf_http_server *srv;
    wf_http_service *svc;
    h2o_multithread_message_t msg;
    bool queued;                   /* msg is in the queue (under x.mu) */
    h2o_generator_t gen;
    h2o_req_t *req;                /* NULL once h2o freed it */
    wf_buf sending;                /* handed to h2o_send, until proceed */
    /* A streamed HTTP/1.1 body is framed here, not by h2o's chunked filter
     * (which cannot send trailers, and ends even a broken body with its
     * last chunk): each send's chunk head, and the last chunk with the
     * trailers. Valid until proceed, like sending. */
    bool own_chunks;
    bool head_only;                /* HEAD: the head goes out, the body the handler writes does not */
    char chunk_head[24];
    wf_buf last_chunk;
    bool in_send, started, final_sent;
    bool handler_alive, req_alive;
    int busy;                      /* pump frames on the stack */
    h2o_linklist_t link;           /* srv->live */
    struct h2x *spare_next;        /* srv->spare's list, once freed */
    size_t blob_cap;               /* x.blob's size */
    /* A spare's buffers, given to the next request by h2x_new. */
    struct {
        char *blob;
        size_t blob_cap;
        wf_buf pending, sending;
    } kept;
    bool loop_pump;                /* news while on the loop: pumped after the slice, no message */
    struct h2x *home_next;         /* srv->home_head's list */
    /* The request body the loop reads off the socket (body_pull): the
     * request's head stays at the start of sock->input until h2o is done
     * with it (head_len bytes), the body's bytes are taken from behind it. */
    bool body_active;
    conn_track *ct;
    size_t head_len;
    http_body_reader body;
    uint64_t body_progress_ns;     /* when it last took bytes in */
};

/* The time for a connection's timeouts (loop thread): read once a batch
 * of events, which the sweep (every 200 ms) cannot tell from now. */
static uint64_t loop_now(wf_http_server *s)
{
    if (!s->now_ns) s->now_ns = wf_now_ns();
    return s->now_ns;
}

/* The exchange whose handler runs on this (loop) thread now, if any. */
static __thread h2x *tls_inline;
/* Set while this loop thread runs a handler's slice (the signal handler's test). */
static __thread volatile sig_atomic_t tls_in_slice;

/* What a request's end (h2o disposing its pool) lets go of: its exchange
 * if it got one, then its connection's tracker. One allocation shared with
 * h2o per request (each is a malloc of h2o's), made first thing in on_req. */
typedef struct req_end {
    struct h2x *hx;
    struct conn_track *ct;
} req_end;

static conn_track *conn_track_request(h2o_req_t *req, req_end *end);
static void on_req_end(void *p);
static void body_pull(h2x *hx);
static void start_handler(h2x *hx, bool same_turn);
static bool h2x_home(wf_task *t);
static void no_handler(h2x *hx, int status, const char *reason, const char *body);

/* Servers freed (see wf_http_server_free). */
static wf_http_server *retired;

/* ---- the exchange's loop side ------------------------------------------------- */

/* The reason phrase of a status line (HTTP/1.1 still prints one). */
const char *wf_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
    }
}

static void h2x_free_if_done(h2x *hx)
{
    if (hx->req_alive || hx->busy) return;
    if (hx->handler_alive) {
        /* exchange_done tells the loop only when the request was gone; a
         * message still queued will come back here through pump. */
        bool held = x_lock(&hx->x);
        if (hx->x.task_done && !hx->queued) hx->handler_alive = false;
        x_unlock(&hx->x, held);
        if (hx->handler_alive) return;
    }
    h2o_linklist_unlink(&hx->link);
    hx->srv->nlive--;
    wf_http_routes_unref(hx->x.routes);
    wf_http_server *s = hx->srv;
    bool spare = s->nspare < SPARE_EXCHANGES;
    if (spare) {
        /* Small buffers stay for the next request (destroy frees the rest). */
        if (hx->x.blob && hx->blob_cap <= SPARE_KEEP_BYTES) {
            hx->kept.blob = hx->x.blob;
            hx->kept.blob_cap = hx->blob_cap;
            hx->x.blob = NULL;
        }
        if (hx->x.pending.cap && hx->x.pending.cap <= SPARE_KEEP_BYTES) {
            hx->kept.pending = hx->x.pending;
            hx->kept.pending.len = 0;
            hx->x.pending = (wf_buf){ 0 };
        }
        if (hx->sending.cap && hx->sending.cap <= SPARE_KEEP_BYTES) {
            hx->kept.sending = hx->sending;
            hx->kept.sending.len = 0;
            hx->sending = (wf_buf){ 0 };
        }
    }
    wf_http_exchange_destroy(&hx->x);
    wf_buf_free(&hx->sending);
    wf_buf_free(&hx->last_chunk);
    wf_http_body_reader_free(&hx->body);
    if (spare) {
        hx->spare_next = s->spare;
        s->spare = hx;
        s->nspare++;
    } else {
        free(hx);
    }
}

/* A zeroed exchange, a spare one if there is (loop thread), with the
 * buffers the spare kept (empty, for copy_request and the response). */
static h2x *h2x_new(wf_http_server *s)
{
    h2x *hx = s->spare;
    if (!hx) return wf_xcalloc(1, sizeof *hx);
    s->spare = hx->spare_next;
    s->nspare--;
    char *blob = hx->kept.blob;
    size_t blob_cap = hx->kept.blob_cap;
    wf_buf pending = hx->kept.pending, sending = hx->kept.sending;
    memset(hx, 0, sizeof *hx);
    hx->x.blob = blob;
    hx->blob_cap = blob ? blob_cap : 0;
    hx->x.pending = pending;
    hx->sending = sending;
    return hx;
}

/* A spare's own memory, when it is freed for good. */
static void h2x_free_spare(h2x *hx)
{
    free(hx->kept.blob);
    wf_buf_free(&hx->kept.pending);
    wf_buf_free(&hx->kept.sending);
    free(hx);
}

/* exchange.c's notify, under x.mu (x_lock), from any thread. */
__attribute__((noinline)) static void h2x_notify(wf_http_exchange *x)
{
    h2x *hx = (h2x *)x;
    if (hx->queued) return;
    if (tls_inline == hx) {
        /* The handler runs on the loop thread right now: the loop pumps
         * when the slice ends, no need to wake it. */
        hx->loop_pump = true;
        return;
    }
    hx->queued = true;
    h2o_multithread_send_message(&hx->srv->exchanges, &hx->msg);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req);

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    h2x *hx = H2O_STRUCT_FROM_MEMBER(h2x, gen, gen);
    bool held = x_lock(&hx->x);
    wf_http_exchange_gone_locked(&hx->x);
    x_unlock(&hx->x, held);
}

/* The last chunk of an own-chunked body: its trailers (x.mu held; the
 * handler adds none once finished). Framing fields are the server's. */
static void frame_last_chunk(h2x *hx)
{
    wf_buf *b = &hx->last_chunk;
    b->len = 0;
    wf_buf_str(b, "0\r\n");
    for (size_t i = 0; i < hx->x.trailers.len; i++) {
        const http_kv *kv = &hx->x.trailers.data[i];
        if (!strcasecmp(kv->name, "transfer-encoding") || !strcasecmp(kv->name, "content-length")) continue;
        wf_buf_str(b, kv->name);
        wf_buf_str(b, ": ");
        wf_buf_str(b, kv->value);
        wf_buf_str(b, "\r\n");
    }
    wf_buf_str(b, "\r\n");
}

/* The handler failed after the head went out: the client must not take
 * what it got for the whole response. HTTP/1.x: the socket is shut first
 * (everything sent before is in the kernel: the last proceed came back),
 * so nothing h2o writes after, the last chunk of a chunked body included,
 * reaches the client, who sees the connection end short of the body.
 * HTTP/2: h2o resets the stream on the error state. */
static void cut_response(h2o_req_t *req)
{
    h2o_socket_t *sock = req->version < 0x200 && req->conn->callbacks->get_socket
                             ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock) shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    req->http1_is_persistent = 0;
    h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
}

/* Move what the handler has to h2o, as far as h2o can take it now.
 * from_msg: called for hx's message, which has left the queue (only then
 * may another be sent; proceed pumps too, with the message maybe queued). */
static void pump(h2x *hx, bool from_msg)
{
    wf_http_exchange *x = &hx->x;
    h2o_req_t *req = hx->req;
    bool do_start = false, do_send = false, final = false, drop = false, cut = false, resume = false;
    hx->busy++;
    bool held = x_lock(x);
    if (from_msg) hx->queued = false;
    if (x->body_resume) {
        x->body_resume = false;
        resume = true;
    }
    if (req && !hx->final_sent && !x->gone) {
        if (!hx->started && x->head_ready) {
            /* A 1xx cannot end a response (a client would wait on for the
             * final one); 204 and 304 end at their head: what the handler
             * wrote for them is dropped, as for HEAD, or it would be read
             * as the next response on the connection. */
            if (x->status < 200 || x->status > 999) x->status = 500;
            if (x->status == 204 || x->status == 304) hx->head_only = true;
            req->res.status = x->status;
            req->res.reason = wf_http_reason(x->status);
            size_t content_length = x->streaming ? SIZE_MAX : x->pending.len;
            for (size_t i = 0; i < x->res_headers.len; i++) {
                const http_kv *kv = &x->res_headers.data[i];
                size_t nl = strlen(kv->name), vl = strlen(kv->value);
                if (!strcasecmp(kv->name, "content-length")) {
                    /* The handler knows the length of what it streams (a file). */
                    char *end;
                    unsigned long long v = strtoull(kv->value, &end, 10);
                    if (!*end && end != kv->value) content_length = (size_t)v;
                    continue;
                }
                h2o_iovec_t name = h2o_strdup(&req->pool, kv->name, nl);
                h2o_strtolower(name.base, name.len);
                h2o_iovec_t value = h2o_strdup(&req->pool, kv->value, vl);
                h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 1, NULL, value.base,
                                      value.len);
            }
            if (x->content_type[0])
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, x->content_type,
                               strlen(x->content_type));
            /* RFC 9110 8.6: no Content-Length in a 1xx or 204; in a 304
             * only the length a 200 would have had, which the handler did
             * not give us. */
            if (x->status < 200 || x->status == 204 || x->status == 304) content_length = SIZE_MAX;
            req->res.content_length = content_length;
            /* HTTP/1.0 has no chunks: a body of unknown length ends with
             * the connection, and the head must say so (h2o would answer
             * a keep-alive request "keep-alive" and then keep it open). */
            if (content_length == SIZE_MAX && req->version < 0x101 && !hx->head_only)
                req->http1_is_persistent = 0;
            if (content_length == SIZE_MAX && req->version == 0x101 && x->status >= 200 && x->status != 204 &&
                x->status != 304 && !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
                hx->own_chunks = true;
                h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_TRANSFER_ENCODING, NULL,
                               H2O_STRLIT("chunked"));
            }
            hx->started = x->loop_started = do_start = true;
        }
        if (hx->started && !hx->in_send && (x->pending.len || x->finished || do_start)) {
            wf_buf t = hx->sending;
            hx->sending = x->pending;
            x->pending = t;
            x->pending.len = 0;
            final = x->finished;
            cut = x->aborted;
            /* A broken body: what was written before goes out first, the
             * cut follows at its proceed. */
            if (cut && hx->sending.len) final = cut = false;
            if (final && !cut && hx->own_chunks) frame_last_chunk(hx);
            hx->in_send = do_send = true;
            if (final) hx->final_sent = true;
            wf_waitq_wake_all(&x->writers);
        }
    }
    if (x->task_done && hx->handler_alive && !hx->queued) {
        hx->handler_alive = false;
        drop = true;
    }
    x_unlock(x, held);
    if (resume && hx->body_active) body_pull(hx);
    /* A response that ends before its request body did: the rest of the
     * body is still on its way, no next request can be read after it. */
    if (do_send && final && hx->body_active && req) req->http1_is_persistent = 0;
    if (do_start) {
        hx->gen.proceed = on_proceed;
        hx->gen.stop = on_stop;
        h2o_start_response(req, &hx->gen);
    }
    if (do_send && cut) {
        cut_response(req);
    } else if (do_send) {
        h2o_iovec_t v[4];
        size_t nv = 0;
        if (hx->head_only) {
            /* nothing of the body (RFC 9110 9.3.2) */
        } else if (hx->own_chunks && hx->sending.len) {
            int k = snprintf(hx->chunk_head, sizeof hx->chunk_head, "%zx\r\n", hx->sending.len);
            v[nv++] = h2o_iovec_init(hx->chunk_head, (size_t)k);
            v[nv++] = h2o_iovec_init(hx->sending.data, hx->sending.len);
            v[nv++] = h2o_iovec_init(H2O_STRLIT("\r\n"));
        } else if (hx->sending.len) {
            v[nv++] = h2o_iovec_init(hx->sending.data, hx->sending.len);
        }
        if (final && hx->own_chunks) v[nv++] = h2o_iovec_init(hx->last_chunk.data, hx->last_chunk.len);
        h2o_send(req, v, nv, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
    }
    hx->busy--;
    (void)drop;
    h2x_free_if_done(hx);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    h2x *hx = H2O_STRUCT_FROM_MEMBER(h2x, gen, gen);
    hx->in_send = false;
    hx->sending.len = 0;
    pump(hx, false);
}

static void on_conn_req_dispose(conn_track *ct);

/* The request's memory pool is being freed: the request is over for h2o. */
static void on_req_dispose(h2x *hx)
{
    hx->req = NULL;
    if (hx->body_active) {
        /* The connection closes (the body was not all read: not persistent). */
        hx->body_active = false;
        if (hx->ct && hx->ct->body_hx == hx) hx->ct->body_hx = NULL;
        hx->ct = NULL;
    }
    bool held = x_lock(&hx->x);
    wf_http_exchange_gone_locked(&hx->x);
    x_unlock(&hx->x, held);
    hx->req_alive = false;
    h2x_free_if_done(hx);
}

static void on_exchange_messages(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        pump(H2O_STRUCT_FROM_MEMBER(h2x, msg, m), true);
    }
}

/* ---- requests ------------------------------------------------------------------- */

/* "Server: wasmfn", which h2o printed itself (its server_name) with a
 * second sprintf per response (~900 instructions, about 5% of a served
 * request's): the response's first header instead, so it comes out in
 * h2o's place, after Content-Length, spelled as h2o spelled it in
 * HTTP/1.x (the token's orig_name; HTTP/2 names are lowercase). on_req
 * adds it first thing. (By the token, not by string: no name to copy.) */
static void add_server_header(h2o_req_t *req)
{
    if (req->version >= 0x200)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SERVER, NULL, H2O_STRLIT("wasmfn"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SERVER, "Server", H2O_STRLIT("wasmfn"));
}

/* keep: the headers added so far stay (Server among them). */
static void send_plain_error(h2o_req_t *req, int status, const char *reason, const char *body, bool keep)
{
    if (!keep) {
        memset(&req->res.headers, 0, sizeof req->res.headers);
        add_server_header(req);
    }
    h2o_send_error_generic(req, status, reason, body, H2O_SEND_ERROR_KEEP_HEADERS);
}

/* The request head's size; *folded: a header without a name (below). */
static size_t head_bytes(h2o_req_t *req, bool *folded)
{
    size_t n = req->method.len + req->path.len + req->authority.len + 16;
    *folded = false;
    for (size_t i = 0; i < req->headers.size; i++) {
        size_t nl = req->headers.entries[i].name->len;
        if (!nl) *folded = true;
        n += nl + req->headers.entries[i].value.len + 4;
    }
    return n;
}

static bool renamed_framing(const h2o_header_t *h)
{
    return h->name->len >= sizeof WF_HTTP_BODY_MARK - 1 &&
           !memcmp(h->name->base, WF_HTTP_BODY_MARK, sizeof WF_HTTP_BODY_MARK - 1);
}

/* The peer's address of req's connection, "a.b.c.d:port" or "[v6]:port"
 * ("" when unknown), into out (INET6_ADDRSTRLEN + 9 bytes). */
static void peer_text(h2o_req_t *req, char *out)
{
    struct sockaddr_storage ss;
    out[0] = 0;
    socklen_t sl = req->conn->callbacks->get_peername ? req->conn->callbacks->get_peername(req->conn, (void *)&ss) : 0;
    if (!sl || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) return;
    /* By hand, not inet_ntop's sprintf (IPv4) nor a printf. */
    bool v6 = ss.ss_family == AF_INET6;
    char *p = out;
    unsigned port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    if (!v6) {
        const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr;
        for (int i = 0; i < 4; i++) {
            if (i) *p++ = '.';
            p = wf_http_put_decimal(p, a[i]);
        }
    } else if (inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, p + 1, INET6_ADDRSTRLEN)) {
        *p = '[';
        p += strlen(p);
        *p++ = ']';
    } else {
        out[0] = 0;
        return;
    }
    *p++ = ':';
    *wf_http_put_decimal(p, port) = 0;
}

/* Copy what the handler reads out of h2o's memory into one block. bh: the
 * framing of a body the loop reads itself (its renamed fields are not the
 * client's; a Content-Length is given back as such), or NULL. remote: the
 * peer's address (peer_text). */
static void copy_request(h2x *hx, h2o_req_t *req, const char *method, size_t method_len, const char *path,
                         size_t path_len, const char *remote, bool no_host, const http_body_head *bh)
{
    const char *query = "";
    size_t query_len = 0;
    if (req->query_at != SIZE_MAX) {
        query = req->path.base + req->query_at + 1;
        query_len = req->path.len - req->query_at - 1;
    }
    size_t nh = 0;
    char length[24] = "";
    if (bh && bh->has_length) snprintf(length, sizeof length, "%llu", (unsigned long long)bh->length);
    size_t remote_len = strlen(remote);
    size_t size = method_len + 1 + path_len + 1 + query_len + 1 + remote_len + 1 + req->authority.len + 1 +
                  req->entity.len + 1 + sizeof "content-length" + strlen(length) + 1;
    for (size_t i = 0; i < req->headers.size; i++) {
        if (bh && renamed_framing(&req->headers.entries[i])) continue;
        size += req->headers.entries[i].name->len + 1 + req->headers.entries[i].value.len + 1;
        nh++;
    }
    if (length[0]) nh++;
    size += nh * sizeof(wf_http_header);
    /* A spare exchange's block when it is large enough (h2x_new). */
    char *blob = hx->x.blob;
    if (!blob || hx->blob_cap < size) {
        free(blob);
        blob = wf_xmalloc(size);
        hx->blob_cap = size;
    }
    char *p = blob + nh * sizeof(wf_http_header);
    wf_http_header *hs = (wf_http_header *)blob;
#define COPY(dst, s, n) do { memcpy(p, (s), (n)); p[(n)] = 0; (dst) = p; p += (n) + 1; } while (0)
    size_t k = 0;
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (bh && renamed_framing(h)) continue;
        COPY(hs[k].name, h->name->base, h->name->len);
        COPY(hs[k].value, h->value.base, h->value.len);
        hs[k++].value_len = h->value.len;
    }
    if (length[0]) {
        COPY(hs[k].name, "content-length", strlen("content-length"));
        COPY(hs[k].value, length, strlen(length));
        hs[k++].value_len = strlen(length);
    }
    wf_http_request *r = &hx->x.req;
    COPY(r->method, method, method_len);
    COPY(r->path, path, path_len);
    COPY(r->query, query, query_len);
    COPY(r->remote, remote, remote_len);
    if (no_host) COPY(r->authority, "", 0);
    else COPY(r->authority, req->authority.base ? req->authority.base : "", req->authority.len);
    char *body;
    COPY(body, req->entity.base ? req->entity.base : "", req->entity.len);
#undef COPY
    r->body = (const uint8_t *)body;
    r->body_len = req->entity.len;
    r->headers = hs;
    r->nheaders = nh;
    r->version = req->version;
    hx->x.blob = blob;
    hx->x.headers = hs;
}

/* ---- handlers' slices on the loop, and their watchdog ------------------------------ */

static void on_yield_signal(int sig)
{
    (void)sig;
    /* On the loop thread, maybe inside a call: only a slice is asked. */
    if (tls_in_slice) wf_exec_request_yield();
}

/* The watchdog sleeps until the running slice's INLINE_SLICE_NS is up (not
 * on a fixed tick: under load a slice always runs, and a tick would wake
 * it, and disturb the loop's core, twice as often); a slice still running
 * then gets the signal, again every WATCHDOG_TICK_NS until it yields. */
static void *watchdog_main(void *arg)
{
    wf_http_server *s = arg;
    uint64_t last_seq = 0, quiet_since = wf_now_ns();
    pthread_mutex_lock(&s->wd_mu);
    while (!atomic_load(&s->quit)) {
        uint64_t seq = atomic_load(&s->slice_seq), start = atomic_load(&s->slice_start_ns);
        uint64_t now = wf_now_ns(), wake;
        if (start && now > start && now - start >= INLINE_SLICE_NS) {
            pthread_kill(s->thread, YIELD_SIGNAL);
            wake = now + WATCHDOG_TICK_NS;
        } else if (start) {
            wake = start + INLINE_SLICE_NS;
        } else {
            wake = now + INLINE_SLICE_NS;
        }
        if (seq != last_seq || start) quiet_since = now;
        last_seq = seq;
        if (now - quiet_since >= (uint64_t)WATCHDOG_IDLE_TICKS * WATCHDOG_TICK_NS) {
            /* Nothing ran for a while: sleep until the loop starts a slice. */
            atomic_store(&s->wd_asleep, true);
            if (atomic_load(&s->slice_seq) == seq && !atomic_load(&s->quit))
                pthread_cond_wait(&s->wd_cv, &s->wd_mu);
            atomic_store(&s->wd_asleep, false);
            quiet_since = wf_now_ns();
            continue;
        }
        wf_cond_wait_until(&s->wd_cv, &s->wd_mu, wake);
    }
    pthread_mutex_unlock(&s->wd_mu);
    return NULL;
}

static void slice_begin(wf_http_server *s, uint64_t now)
{
    atomic_store_explicit(&s->slice_start_ns, now ? now : 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->slice_seq, 1, memory_order_relaxed);
    if (atomic_load_explicit(&s->wd_asleep, memory_order_relaxed)) {
        pthread_mutex_lock(&s->wd_mu);
        pthread_cond_signal(&s->wd_cv);
        pthread_mutex_unlock(&s->wd_mu);
    }
    tls_in_slice = 1;
}

static void slice_end(wf_http_server *s)
{
    tls_in_slice = 0;
    atomic_store_explicit(&s->slice_start_ns, 0, memory_order_relaxed);
}

/* A request whose body the loop reads: what h2o keeps pointing into the
 * socket's input (a request without a body is not copied out of it) goes
 * to the request's pool, since the body's reads may move that buffer. */
static void own_head(h2o_req_t *req)
{
    h2o_mem_pool_t *pool = &req->pool;
#define OWN(v) do { if ((v).base) (v) = h2o_strdup(pool, (v).base, (v).len); } while (0)
    OWN(req->input.method);
    OWN(req->input.path);
    OWN(req->input.authority);
    OWN(req->method);
    OWN(req->path);
    OWN(req->path_normalized);
    OWN(req->authority);
    OWN(req->upgrade);
    for (size_t i = 0; i < req->headers.size; i++) {
        h2o_header_t *h = &req->headers.entries[i];
        if (!h2o_iovec_is_token(h->name)) {
            h2o_iovec_t *name = h2o_mem_alloc_pool(pool, sizeof *name);
            *name = h2o_strdup(pool, h->name->base, h->name->len);
            h->name = name;
        }
        OWN(h->value);
    }
#undef OWN
}

/* Where the HTTP/1 request h2o just handed over ends in its socket's
 * input: past the body h2o read (its entity points into the input: a
 * chunked one decoded in place, with what follows right behind), else past
 * the head (h2o's parser's length of it, which the guard kept). */
static size_t request_end(h2o_req_t *req, conn_track *ct)
{
    const h2o_buffer_t *in = ct->sock->input;
    if (req->entity.base && req->entity.base >= in->bytes && req->entity.base + req->entity.len <= in->bytes + in->size)
        return (size_t)(req->entity.base + req->entity.len - in->bytes);
    return ct->guard.head_len;
}

/* The service's routes now (loop thread; not referenced for the caller). */
static wf_http_routes *current_routes(wf_http_service *svc)
{
    if (atomic_load_explicit(&svc->routes_gen, memory_order_acquire) != svc->loop_gen) {
        pthread_mutex_lock(&svc->mu);
        wf_http_routes *r = svc->routes;
        if (r) wf_http_routes_ref(r);
        svc->loop_gen = atomic_load_explicit(&svc->routes_gen, memory_order_relaxed);
        pthread_mutex_unlock(&svc->mu);
        wf_http_routes_unref(svc->loop_routes);
        svc->loop_routes = r;
    }
    return svc->loop_routes;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    wf_http_service *svc = ((svc_handler *)self)->svc;
    wf_http_server *srv = svc->srv;
    req_end *end = h2o_mem_alloc_shared(&req->pool, sizeof *end, on_req_end);
    *end = (req_end){ 0 };
    conn_track *ct = conn_track_request(req, end);
    add_server_header(req);
    if (srv->draining) req->http1_is_persistent = 0;
    /* A body the loop reads itself (on_head)? Until a handler takes it,
     * it is still on the wire behind the head: any answer but a handler's
     * closes the connection. */
    http_body_head bh;
    bool own_body = ct && ct->next_body_set;
    unsigned persistent = req->http1_is_persistent;
    if (own_body) {
        bh = ct->next_body;
        ct->next_body_set = false;
        own_head(req);
        req->http1_is_persistent = 0;
    }
    if (ct && req->version < 0x200) {
        /* Every HTTP/1 head h2o takes was read by the guard first: what
         * follows the request is held from h2o (the guard gives it back
         * when h2o waits for the next one), so that a pipelined head is
         * never parsed by h2o unchecked. A body the loop reads is held
         * behind at its end (body_done). */
        bool checked = ct->guard.passed;
        ct->guard.passed = false;
        if (!checked) {
            /* Not to happen; if it does, nothing of this connection is
             * trusted: refused, closed, and nothing held (the guard's
             * length of the head would not be this one's). */
            req->http1_is_persistent = 0;
            send_plain_error(req, 400, "Bad Request", "request head not checked\n", false);
            return 0;
        }
        if (ct->sock && !own_body) wf_http_head_guard_hold(&ct->guard, ct->sock, request_end(req, ct));
    }
    bool folded;
    if (head_bytes(req, &folded) > svc->cfg.max_header_bytes) {
        /* As the head guard's 431s: such a client gets no more of this connection. */
        req->http1_is_persistent = 0;
        send_plain_error(req, 431, "Request Header Fields Too Large", "request headers too large\n", false);
        return 0;
    }
    /* h2o hands an obs-fold continuation line ("X: a\r\n b") on as a header
     * without a name: RFC 9112 5.2 has a server reject it (found by
     * fuzz_http: the nameless header reached copy_request). */
    if (folded) {
        send_plain_error(req, 400, "Bad Request", "obsolete line folding in a header\n", false);
        return 0;
    }
    /* h2o takes any bytes up to a space for the method: RFC 9110 9.1 has
     * a token. */
    if (!wf_http_token(req->method.base, req->method.len)) {
        send_plain_error(req, 400, "Bad Request", "the method is not a token\n", false);
        return 0;
    }
    char method[24];
    if (req->method.len >= sizeof method) {
        send_plain_error(req, 501, "Not Implemented", "unknown method\n", false);
        return 0;
    }
    memcpy(method, req->method.base, req->method.len);
    method[req->method.len] = 0;
    /* h2o names the host of a request without Host after its host entry
     * (NO_HOST): RFC 9112 3.2 has an HTTP/1.1 server answer 400. */
    bool no_host = h2o_memis(req->authority.base, req->authority.len, H2O_STRLIT(NO_HOST));
    if (no_host && req->version == 0x101) {
        req->http1_is_persistent = 0;
        send_plain_error(req, 400, "Bad Request", "no Host header\n", false);
        return 0;
    }
    /* The path routed by and handed on: the target as sent, normalized
     * (target.c), not h2o's path_normalized, which decodes every escape. */
    bool asterisk = h2o_memis(req->path.base, req->path.len, H2O_STRLIT("*"));
    if (asterisk) {
        send_plain_error(req, 404, "Not Found", "not found\n", false);
        return 0;
    }
    /* In the request's pool (no malloc): copy_request copies it on. */
    char *path = h2o_mem_alloc_pool(&req->pool, req->path.len + 1);
    size_t path_len = 0;
    if (wf_http_target_path(req->path.base, req->path.len, path, &path_len)) {
        send_plain_error(req, 400, "Bad Request", "bad request-target\n", false);
        return 0;
    }

    wf_http_routes *routes = current_routes(svc);
    if (routes) wf_http_routes_ref(routes);
    if (!routes) {
        send_plain_error(req, 404, "Not Found", "not found\n", false);
        return 0;
    }
    http_match m;
    wf_http_routes_match(routes, method, path, path_len, &m);
    if (!m.route) {
        wf_http_routes_unref(routes);
        if (m.status == 405) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, m.allow, strlen(m.allow));
            send_plain_error(req, 405, "Method Not Allowed", "method not allowed\n", true);
        } else if (m.status == 400) {
            send_plain_error(req, 400, "Bad Request", "bad percent-encoding in the path\n", false);
        } else {
            send_plain_error(req, 404, "Not Found", "not found\n", false);
        }
        return 0;
    }

    h2x *hx = h2x_new(srv);
    hx->srv = srv;
    hx->svc = svc;
    wf_http_exchange_init(&hx->x, h2x_notify);
    if (srv->inline_handlers) hx->x.task.home = h2x_home;
    hx->x.match = m;
    hx->x.routes = routes;
    hx->x.fn = wf_http_route_fn(m.route, &hx->x.ud);
    char remote_here[sizeof ct->remote];
    const char *remote = remote_here;
    if (ct) {
        if (!ct->remote_set) peer_text(req, ct->remote);
        ct->remote_set = true;
        remote = ct->remote;
    } else {
        peer_text(req, remote_here);
    }
    copy_request(hx, req, method, req->method.len, path, path_len, remote, no_host, own_body ? &bh : NULL);
    hx->head_only = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    hx->x.req.route = wf_http_route_pattern(m.route);
    hx->x.req.name = wf_http_route_name(m.route);
    if (srv->cfg.on_response) {
        /* The route's name for on_response: the table stays while hx
         * holds it (h2o logs before it frees the request's pool, whose
         * disposal lets hx go). */
        const char *rn = hx->x.req.name ? hx->x.req.name : "";
        h2o_vector_reserve(&req->pool, &req->env, req->env.size + 2);
        req->env.entries[req->env.size++] = h2o_iovec_init(H2O_STRLIT("wf-route"));
        req->env.entries[req->env.size++] = h2o_iovec_init(rn, strlen(rn));
    }
    hx->x.start_ns = srv->now_ns = wf_now_ns();
    hx->x.deadline_ns = hx->x.start_ns + (uint64_t)svc->cfg.write_timeout_ms * 1000000u;
    /* Draining: nothing may outlast the drain. */
    if (srv->draining && srv->drain_deadline_ns < hx->x.deadline_ns) hx->x.deadline_ns = srv->drain_deadline_ns;
    hx->req = req;
    hx->req_alive = hx->handler_alive = true;
    end->hx = hx;
    h2o_linklist_insert(&srv->live, &hx->link);
    srv->nlive++;
    if (own_body) {
        /* The loop reads the body from now on: streamed to a handler that
         * reads it as it comes (started now), else whole before the
         * handler starts (body_done starts it). */
        req->http1_is_persistent = persistent;
        hx->ct = ct;
        ct->body_hx = hx;
        hx->head_len = bh.head_len;
        wf_http_body_reader_init(&hx->body, &bh, svc->cfg.max_body_bytes, svc->cfg.max_header_bytes);
        hx->x.body_own = true;
        hx->x.body_streaming = wf_http_route_streaming(m.route);
        hx->body_active = true;
        hx->body_progress_ns = hx->x.start_ns;
        hx->busy++;
        body_pull(hx);
        hx->busy--;
        if (!hx->x.body_streaming) return 0;
    }
    start_handler(hx, true);
    return 0;
}

/* Run hx's handler: its first slice here (inline handlers), the rest on
 * the workers. same_turn: in the turn of the loop that read the request's
 * start (start_ns), which its first calls may then take as theirs. */
static void start_handler(h2x *hx, bool same_turn)
{
    wf_http_server *srv = hx->srv;
    int rc;
    if (srv->inline_handlers) {
        /* The handler's first slice runs here, on the loop: a call that
         * ends without waiting costs no thread hand-off. One that parks
         * (sleeps, waits for a call, a slow client) leaves the loop at
         * once and goes on on the workers. */
        hx->busy++;
        tls_inline = hx;
        slice_begin(srv, hx->x.start_ns);
        hx->x.task.slice_end_ns = hx->x.start_ns + INLINE_SLICE_NS;   /* the watchdog's bound */
        hx->x.first_slice_ns = same_turn ? hx->x.start_ns : 0;
        rc = wf_sched_run_here(srv->group, &hx->x.task, NULL);
        slice_end(srv);
        tls_inline = NULL;
        hx->busy--;
        if (rc == WF_SUBMIT_OK) {
            pump(hx, false);
            return;
        }
    } else {
        rc = wf_sched_submit(srv->group, &hx->x.task, 0);
    }
    if (rc != WF_SUBMIT_OK) no_handler(hx, 503, "Service Unavailable", "no handler could run\n");
}

/* The task's home hook (sched.h), on the waking thread with the group's
 * lock held: hx's handler was woken from a park; it goes on on the loop. */
static bool h2x_home(wf_task *t)
{
    h2x *hx = (h2x *)t;
    wf_http_server *s = hx->srv;
    pthread_mutex_lock(&s->home_mu);
    bool taken = !s->home_closed;
    if (taken) {
        hx->home_next = NULL;
        if (s->home_tail) s->home_tail->home_next = hx; else s->home_head = hx;
        s->home_tail = hx;
        if (!s->home_rung) {
            s->home_rung = true;
            h2o_multithread_send_message(&s->homes, &s->home_msg);
        }
    }
    pthread_mutex_unlock(&s->home_mu);
    return taken;
}

/* The handlers that came home (h2x_home): each goes on on the loop for a
 * slice, as its first one did. */
static void on_home_messages(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    wf_http_server *s = H2O_STRUCT_FROM_MEMBER(wf_http_server, homes, r);
    while (!h2o_linklist_is_empty(messages)) h2o_linklist_unlink(messages->next);
    pthread_mutex_lock(&s->home_mu);
    h2x *list = s->home_head;
    s->home_head = s->home_tail = NULL;
    s->home_rung = false;
    pthread_mutex_unlock(&s->home_mu);
    while (list) {
        h2x *hx = list;
        list = hx->home_next;
        hx->busy++;
        tls_inline = hx;
        uint64_t now = wf_now_ns();
        slice_begin(s, now);
        hx->x.task.slice_end_ns = now + INLINE_SLICE_NS;
        wf_sched_resume_here(&hx->x.task);
        slice_end(s);
        tls_inline = NULL;
        hx->busy--;
        pump(hx, false);
    }
}

/* ---- request bodies the loop reads ------------------------------------------------- */

/* hx's handler will not run: answer for it (and close: what is left of
 * the body stays unread). */
static void no_handler(h2x *hx, int status, const char *reason, const char *body)
{
    hx->handler_alive = false;
    bool held = x_lock(&hx->x);
    hx->x.task_done = true;
    x_unlock(&hx->x, held);
    if (hx->body_active || hx->x.body_fail) hx->req->http1_is_persistent = 0;
    send_plain_error(hx->req, status, reason, body, false);
}

/* The body ended or failed: the reader lets go of the connection. A body
 * read whole now starts its handler (or is answered: 413, 400, 408). */
static void body_done(h2x *hx)
{
    wf_http_exchange *x = &hx->x;
    bool held = x_lock(x);
    bool whole = x->body_ended && !x->body_fail;
    x_unlock(x, held);
    /* What follows a whole body (a pipelined request) waits for h2o to be
     * done with this one (wf_http_head_guard_resume reads it then). */
    if (whole && hx->ct && hx->ct->sock) wf_http_head_guard_hold(&hx->ct->guard, hx->ct->sock, hx->head_len);
    hx->body_active = false;
    if (hx->ct && hx->ct->body_hx == hx) hx->ct->body_hx = NULL;
    hx->ct = NULL;
    wf_http_body_reader_free(&hx->body);
    held = x_lock(x);
    wf_http_body_fail fail = x->body_fail;
    x_unlock(x, held);
    if (!hx->req) return;
    if (fail) hx->req->http1_is_persistent = 0;
    if (x->body_streaming) return;
    if (!fail) {
        /* Written by the loop only, and complete: the handler reads it unlocked. */
        x->req.body = x->body_in.data ? x->body_in.data : (const uint8_t *)"";
        x->req.body_len = x->body_in.len;
        start_handler(hx, false);
    } else if (fail == WF_HTTP_BODY_TOO_LARGE) {
        no_handler(hx, 413, "Payload Too Large", "request entity is too large\n");
    } else if (fail == WF_HTTP_BODY_TIMEOUT) {
        no_handler(hx, 408, "Request Timeout", "the request body stalled\n");
    } else {
        no_handler(hx, 400, "Bad Request", fail == WF_HTTP_BODY_MALFORMED ? "broken chunked encoding\n"
                                                                          : "the request body was cut short\n");
    }
}

static void body_on_read(h2o_socket_t *sock, const char *err);

/* Take what the socket read of hx's body into the exchange (a streamed
 * one up to WF_HTTP_BODY_WINDOW ahead of its reader), and read on, or
 * stop: at its end, when it failed, or while the window is full (TCP then
 * holds the client back; a read of the handler's starts it again). */
static void body_pull(h2x *hx)
{
    if (!hx->body_active) return;
    wf_http_exchange *x = &hx->x;
    h2o_socket_t *sock = hx->ct ? hx->ct->sock : NULL;
    if (!sock) {
        bool held = x_lock(x);
        if (!x->body_ended && !x->body_fail) x->body_fail = WF_HTTP_BODY_CUT;
        wf_waitq_wake_all(&x->readers);
        x_unlock(x, held);
        body_done(hx);
        return;
    }
    size_t n = sock->input->size > hx->head_len ? sock->input->size - hx->head_len : 0;
    uint8_t *p = (uint8_t *)sock->input->bytes + hx->head_len;
    bool held = x_lock(x);
    size_t unread = x->body_in.len - x->body_off;
    size_t room = !x->body_streaming ? SIZE_MAX : unread < WF_HTTP_BODY_WINDOW ? WF_HTTP_BODY_WINDOW - unread : 0;
    size_t used = n ? wf_http_body_feed_locked(&hx->body, x, p, n, room) : 0;
    bool over = x->body_ended || x->body_fail;
    bool full = !over && x->body_streaming && x->body_in.len - x->body_off >= WF_HTTP_BODY_WINDOW;
    x->body_paused = full;
    x->body_resume = false;
    if (used || over) wf_waitq_wake_all(&x->readers);
    x_unlock(x, held);
    if (used) {
        memmove(p, p + used, n - used);
        sock->input->size -= used;
        hx->body_progress_ns = wf_now_ns();
    }
    if (over || full) h2o_socket_read_stop(sock);
    else h2o_socket_read_start(sock, body_on_read);
    if (over) body_done(hx);
}

/* The body failed for a reason of the loop's (the client, the clock). */
static void body_fail(h2x *hx, wf_http_body_fail why)
{
    wf_http_exchange *x = &hx->x;
    bool held = x_lock(x);
    if (!x->body_ended && !x->body_fail) x->body_fail = why;
    wf_waitq_wake_all(&x->readers);
    x_unlock(x, held);
    if (hx->ct && hx->ct->sock) h2o_socket_read_stop(hx->ct->sock);
    hx->busy++;
    body_done(hx);
    hx->busy--;
    h2x_free_if_done(hx);
}

static void body_on_read(h2o_socket_t *sock, const char *err)
{
    conn_track *ct = sock->on_close.data;
    h2x *hx = ct->body_hx;
    if (!hx) {
        h2o_socket_read_stop(sock);
        return;
    }
    if (err) {
        body_fail(hx, WF_HTTP_BODY_CUT);
        return;
    }
    hx->busy++;
    body_pull(hx);
    hx->busy--;
    h2x_free_if_done(hx);
}

/* The head guard's look at a whole head before h2o's: a body the server
 * can read itself has its framing fields renamed, so that h2o hands the
 * request over at once (h2o 2.2 would read all of it first), and is read
 * by body_pull from the request's on_req. A Content-Length over the limit
 * is answered 413 by the guard, before a byte of the body (h2o's own 413
 * would come before any request the access log sees). */
static int on_head(wf_http_head_guard *g, h2o_socket_t *sock, size_t head_len)
{
    conn_track *ct = (conn_track *)g;
    http_body_head h;
    char *p = sock->input->bytes;
    ct->next_body_set = false;
    if (!wf_http_body_head_scan(p, head_len, &h)) return 0;
    if (h.has_length && h.length > ct->svc->cfg.max_body_bytes) return 413;
    if (h.expect_continue) {
        /* h2o would have sent it (it does for bodies it reads): the client
         * waits for it before the body. No response is on its way on an
         * HTTP/1 connection while a head is read, so its send buffer takes
         * these few bytes at once. */
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (write(h2o_socket_get_fd(sock), cont, sizeof cont - 1) != (ssize_t)(sizeof cont - 1)) return 0;
    }
    wf_http_body_head_rename(p, &h);
    ct->next_body = h;
    ct->next_body_set = true;
    return 0;
}

/* ---- the access log ---------------------------------------------------------------- */

static bool printable(const char *s, size_t n)
{
    if (!s || !n) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) return false;
    return true;
}

/* One access-log line (and on_response) for an answered request. */
static void access_line(wf_http_service *svc, const char *route, const char *method, size_t mlen, const char *path,
                        size_t plen, int status, size_t bytes, int64_t us)
{
    if (svc->srv->cfg.on_response)
        svc->srv->cfg.on_response(svc->srv->cfg.on_response_ud, svc->name, route, status, (uint64_t)us * 1000u);
    if (svc->srv->cfg.access_log_off) return;
    /* What h2o could not parse (its own 400s) is shown as "-". */
    if (!printable(method, mlen)) {
        method = "-";
        mlen = 1;
    }
    if (!printable(path, plen)) {
        path = "-";
        plen = 1;
    }
    char line[512];
    int pl = plen > 200 ? 200 : (int)plen, ml = mlen > 32 ? 32 : (int)mlen;
    snprintf(line, sizeof line, "access: %s %.*s %.*s%s %d %zu %lldus", svc->name, ml, method, pl, path,
             (size_t)pl < plen ? "..." : "", status, bytes, (long long)us);
    wf_http_server *srv = svc->srv;
    if (srv->cfg.access_log) srv->cfg.access_log(srv->cfg.access_log_ud, line);
    else fprintf(stderr, "%s\n", line);
}

/* The head guard answered (431) a head h2o never saw: its line too. */
static void on_guard_reject(wf_http_head_guard *g, int status, const char *head, size_t len, size_t bytes_sent)
{
    conn_track *ct = (conn_track *)g;
    /* "METHOD TARGET HTTP/1.1", as far as it came; "-" for what is missing. */
    const char *sp = memchr(head, ' ', len);
    const char *method = sp ? head : "-", *path = "-";
    size_t mlen = sp ? (size_t)(sp - head) : 1, plen = 1;
    if (sp) {
        const char *tstart = sp + 1, *tend = memchr(tstart, ' ', len - (size_t)(tstart - head));
        if (tend && tend > tstart) {
            path = tstart;
            plen = (size_t)(tend - tstart);
        }
    }
    uint64_t since = ct->arriving_ns ? ct->arriving_ns : ct->since_ns, now = wf_now_ns();
    access_line(ct->svc, NULL, method, mlen, path, plen, status, bytes_sent,
                now > since ? (int64_t)((now - since) / 1000u) : 0);
}

static void log_access(h2o_logger_t *self, h2o_req_t *req)
{
    wf_http_service *svc = ((svc_logger *)self)->svc;
    /* From the request's first byte (h2o's clock) to now, the response sent. */
    int64_t us = 0;
    if (!h2o_timeval_is_null(&req->timestamps.request_begin_at)) {
        struct timeval now;
        gettimeofday(&now, NULL);
        us = h2o_timeval_subtract(&req->timestamps.request_begin_at, &now);
        if (us < 0) us = 0;
    }
    const char *route = NULL;
    if (svc->srv->cfg.on_response) {
        for (size_t i = 0; i + 1 < req->env.size; i += 2)
            if (h2o_memis(req->env.entries[i].base, req->env.entries[i].len, H2O_STRLIT("wf-route")))
                route = req->env.entries[i + 1].base;   /* the route table's: NUL-terminated */
    }
    access_line(svc, route, req->method.base, req->method.len, req->path.base, req->path.len, req->res.status,
                req->bytes_sent, us);
}

/* ---- services ------------------------------------------------------------------------- */

static void conn_track_free_if_done(conn_track *ct)
{
    if (ct->sock || ct->inflight) return;
    h2o_linklist_unlink(&ct->link);
    if (h2o_timeout_is_linked(&ct->resume)) h2o_timeout_unlink(&ct->resume);
    wf_http_head_guard_free(&ct->guard);
    free(ct);
}

static void on_conn_resume(h2o_timeout_entry_t *e)
{
    conn_track *ct = H2O_STRUCT_FROM_MEMBER(conn_track, resume, e);
    ct->next_body_set = false;
    if (!ct->sock || ct->inflight) return;
    /* Bytes of the next request are in already: until it is whole, its
     * time is timeouts.read's, not idling (the sweep; a request taken
     * now resets it at its end). */
    if (ct->guard.held_len) ct->arriving_ns = loop_now(ct->svc->srv);
    /* Last: ct may be gone after it (the next request may end the connection). */
    wf_http_head_guard_resume(ct->sock, &ct->guard, ct->svc->cfg.max_header_bytes);
}

static void on_conn_close(void *data)
{
    conn_track *ct = data;
    ct->sock = NULL;
    conn_track_free_if_done(ct);
}

/* req_end's dispose: the exchange first (it may look at its tracker). */
static void on_req_end(void *p)
{
    req_end *end = p;
    if (end->hx) on_req_dispose(end->hx);
    if (end->ct) on_conn_req_dispose(end->ct);
}

/* The request's memory pool is going: one request of ct less. */
static void on_conn_req_dispose(conn_track *ct)
{
    /* h2o puts its own request reader back once the response is out
     * (right after this, when the connection stays): the head guard goes
     * in front of it again from the loop's zero timer, which runs after. */
    if (ct->sock && !ct->h2 && !h2o_timeout_is_linked(&ct->resume))
        h2o_timeout_link(ct->svc->srv->loop, &ct->svc->ctx.zero_timeout, &ct->resume);
    if (!--ct->inflight) {
        ct->since_ns = loop_now(ct->svc->srv);
        ct->arriving_ns = 0;
        ct->seen_read = ct->sock ? ct->sock->bytes_read : 0;
    }
    conn_track_free_if_done(ct);
}

/* on_req: the request belongs to its connection's tracker until disposed. */
static conn_track *conn_track_request(h2o_req_t *req, req_end *end)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (!sock || sock->on_close.cb != on_conn_close) return NULL;
    conn_track *ct = sock->on_close.data;
    ct->inflight++;
    ct->served = true;
    if (req->version >= 0x200) ct->h2 = true;
    end->ct = ct;
    return ct;
}

/* Every few hundred ms on the loop: the timeouts of conn_track's comment. */
static void sweep_conns(wf_http_service *svc, uint64_t now)
{
    uint64_t idle_ns = (uint64_t)svc->cfg.idle_timeout_ms * 1000000u;
    uint64_t read_ns = (uint64_t)svc->cfg.read_timeout_ms * 1000000u;
    for (h2o_linklist_t *l = svc->conns.next; l != &svc->conns; l = l->next) {
        conn_track *ct = H2O_STRUCT_FROM_MEMBER(conn_track, link, l);
        h2x *body = ct->body_hx;
        if (body && ct->sock && now - body->body_progress_ns >= read_ns) {
            /* A request body that stalls (not one its reader holds back)
             * fails after timeouts.read: its handler sees why. */
            bool locked = x_lock(&body->x);
            bool held = body->x.body_paused;
            x_unlock(&body->x, locked);
            if (held) body->body_progress_ns = now;
            else body_fail(body, WF_HTTP_BODY_TIMEOUT);
            continue;
        }
        /* HTTP/2 has its own idle timeout in h2o; busy ones are the handlers'. */
        if (!ct->sock || ct->shut || ct->inflight || ct->h2) continue;
        size_t got = ct->sock->bytes_read;
        if (got != ct->seen_read) {
            ct->seen_read = got;
            if (!ct->arriving_ns) ct->arriving_ns = now;     /* the next request is coming */
        }
        bool cut = ct->arriving_ns ? now - ct->arriving_ns >= read_ns
                                   : ct->served && now - ct->since_ns >= idle_ns;
        if (cut) {
            ct->shut = true;
            shutdown(h2o_socket_get_fd(ct->sock), SHUT_RDWR);
        }
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    wf_http_service *svc = listener->data;
    if (err) return;
    h2o_socket_t *sock;
    /* Take what is waiting, a bounded batch per readiness. */
    for (int i = 0; i < 64 && (sock = h2o_evloop_socket_accept(listener)); i++) {
        conn_track *ct = wf_xcalloc(1, sizeof *ct);
        ct->svc = svc;
        ct->sock = sock;
        ct->since_ns = ct->arriving_ns = wf_now_ns();
        h2o_linklist_insert(&svc->conns, &ct->link);
        sock->on_close.cb = on_conn_close;
        sock->on_close.data = ct;
        ct->guard.on_head = on_head;
        ct->guard.on_reject = on_guard_reject;
        ct->resume.cb = on_conn_resume;
        h2o_accept(&svc->actx, sock);
        wf_http_head_guard_attach(sock, &ct->guard, svc->cfg.max_header_bytes);
    }
}

/* "host:port", ":port", "[v6]:port" -> a bound, listening socket. */
static wf_error *open_listener(const char *addr, bool reuse_port, int *fd_out, int *port_out)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1])
        return wf_error_new(WF_ERR_INVALID, "address '%s': expected host:port or :port", addr);
    char host[256];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host) return wf_error_new(WF_ERR_INVALID, "address '%s': host too long", addr);
    memcpy(host, addr, hl);
    host[hl] = 0;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return wf_error_new(WF_ERR_INVALID, "address '%s': bad port '%s'", addr, colon + 1);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res = NULL;
    int gr = getaddrinfo(host[0] ? host : "0.0.0.0", colon + 1, &hints, &res);
    if (gr) return wf_error_new(WF_ERR_INVALID, "address '%s': %s", addr, gai_strerror(gr));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return wf_error_new(WF_ERR_IO, "address '%s': socket: %s", addr, strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 1024)) {
        int er = errno;
        freeaddrinfo(res);
        close(fd);
        return wf_error_new(WF_ERR_IO, "cannot listen on %s: %s", addr, strerror(er));
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (void *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return NULL;
}

wf_error *wf_http_server_new(const wf_http_server_config *cfg, wf_http_server **out)
{
    if (!cfg->sched) return wf_error_new(WF_ERR_INVALID, "http server: no scheduler");
    wf_http_server *s = wf_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    uint32_t workers = cfg->handler_workers ? cfg->handler_workers : 2;
    wf_sched_group_config gc = { .min_workers = workers, .max_workers = workers, .start_workers = workers };
    wf_error *e = wf_sched_group_new(cfg->sched, &gc, &s->group);
    if (e) {
        free(s);
        return e;
    }
    /* WF_HTTP_INLINE=0: every handler starts on the workers (for
     * comparison: bench/http measures both). */
    const char *il = getenv("WF_HTTP_INLINE");
    s->inline_handlers = !(il && !strcmp(il, "0"));
    pthread_mutex_init(&s->wd_mu, NULL);
    wf_cond_init(&s->wd_cv);
    s->loop = h2o_evloop_create();
    s->queue = h2o_multithread_create_queue(s->loop);
    h2o_multithread_register_receiver(s->queue, &s->exchanges, on_exchange_messages);
    pthread_mutex_init(&s->home_mu, NULL);
    h2o_multithread_register_receiver(s->queue, &s->homes, on_home_messages);
    h2o_linklist_init_anchor(&s->live);
    *out = s;
    return NULL;
}

wf_error *wf_http_server_listen(wf_http_server *s, const wf_http_service_config *cfg, wf_http_service **out)
{
    int fd, port;
    wf_error *e = open_listener(cfg->addr, s->cfg.reuse_port, &fd, &port);
    if (e) return e;
    wf_http_service *svc = wf_xcalloc(1, sizeof *svc);
    svc->srv = s;
    svc->cfg = *cfg;
    svc->name = wf_xstrdup(cfg->name ? cfg->name : cfg->addr);
    svc->addr = wf_xstrdup(cfg->addr);
    svc->cfg.name = svc->name;
    svc->cfg.addr = svc->addr;
    if (!svc->cfg.read_timeout_ms) svc->cfg.read_timeout_ms = 10000;
    if (!svc->cfg.write_timeout_ms) svc->cfg.write_timeout_ms = 60000;
    if (!svc->cfg.idle_timeout_ms) svc->cfg.idle_timeout_ms = 60000;
    if (!svc->cfg.max_header_bytes) svc->cfg.max_header_bytes = 65536;
    if (!svc->cfg.max_body_bytes) svc->cfg.max_body_bytes = 10u << 20;
    svc->fd = fd;
    svc->port = port;
    pthread_mutex_init(&svc->mu, NULL);

    h2o_config_init(&svc->conf);
    svc->conf.max_request_entity_size = svc->cfg.max_body_bytes;
    /* The backstop: our sweep applies each of the two (conn_track). */
    svc->conf.http1.req_timeout = WF_MAX(svc->cfg.read_timeout_ms, svc->cfg.idle_timeout_ms) + 1000;
    h2o_linklist_init_anchor(&svc->conns);
    svc->conf.http2.idle_timeout = svc->cfg.idle_timeout_ms;
    /* None from h2o: on_req adds it (add_server_header). */
    svc->conf.server_name = h2o_iovec_init(H2O_STRLIT(""));
    h2o_hostconf_t *host = h2o_config_register_host(&svc->conf, h2o_iovec_init(H2O_STRLIT(NO_HOST)), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    svc_handler *h = (svc_handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = on_req;
    h->svc = svc;
    svc_logger *lg = (svc_logger *)h2o_create_logger(path, sizeof *lg);
    lg->super.log_access = log_access;
    lg->svc = svc;
    /* h2o's own answers to what never reached on_req (a 400 for a head it
     * cannot parse, an HTTP/2 body over the limit, a 417) are bound to the
     * host's fallback path: their access-log line comes from there. */
    lg = (svc_logger *)h2o_create_logger(&host->fallback_path, sizeof *lg);
    lg->super.log_access = log_access;
    lg->svc = svc;
    h2o_context_init(&svc->ctx, s->loop, &svc->conf);
    svc->ctx_ready = true;
    svc->actx.ctx = &svc->ctx;
    svc->actx.hosts = svc->conf.hosts;
    svc->listener = h2o_evloop_socket_create(s->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    svc->listener->data = svc;
    wf_vec_push(&s->svcs, svc);
    if (out) *out = svc;
    return NULL;
}

int wf_http_service_port(const wf_http_service *svc)
{
    return svc->port;
}

const char *wf_http_service_name(const wf_http_service *svc)
{
    return svc->name;
}

const char *wf_http_service_addr(const wf_http_service *svc)
{
    return svc->addr;
}

size_t wf_http_server_service_count(const wf_http_server *s)
{
    return s->svcs.len;
}

wf_http_service *wf_http_server_service(wf_http_server *s, size_t i)
{
    return s->svcs.data[i];
}

void wf_http_service_set_routes(wf_http_service *svc, wf_http_routes *r)
{
    pthread_mutex_lock(&svc->mu);
    wf_http_routes *old = svc->routes;
    svc->routes = r;
    atomic_fetch_add_explicit(&svc->routes_gen, 1, memory_order_release);
    pthread_mutex_unlock(&svc->mu);
    wf_http_routes_unref(old);
}

/* ---- the loop thread ---------------------------------------------------------------------- */

static void on_control(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    wf_http_server *s = H2O_STRUCT_FROM_MEMBER(wf_http_server, control, r);
    while (!h2o_linklist_is_empty(messages)) h2o_linklist_unlink(messages->next);
    if (s->draining) return;
    /* Stop accepting; ask open connections to close once their requests end. */
    s->draining = true;
    s->drain_deadline_ns = wf_now_ns() + (uint64_t)s->drain_ms * 1000000u;
    for (size_t i = 0; i < s->svcs.len; i++) {
        wf_http_service *svc = s->svcs.data[i];
        if (svc->listener) {
            h2o_socket_read_stop(svc->listener);
            h2o_socket_close(svc->listener);
            svc->listener = NULL;
        }
        h2o_context_request_shutdown(&svc->ctx);
    }
}

static void *loop_main(void *arg)
{
    wf_http_server *s = arg;
    for (size_t i = 0; i < s->svcs.len; i++) h2o_socket_read_start(s->svcs.data[i]->listener, on_accept);
    uint64_t swept = 0;
    while (!atomic_load(&s->quit)) {
        s->now_ns = 0;
        /* Once a batch of events, not once a request: the handlers' spare
         * fiber stack is probed for a deep call's pages (fiber.h). */
        wf_fiber_trim_spare();
        h2o_evloop_run(s->loop, 100);
        s->now_ns = 0;
        uint64_t now = wf_now_ns();
        if (now - swept >= 200000000u) {
            swept = now;
            for (size_t i = 0; i < s->svcs.len; i++) sweep_conns(s->svcs.data[i], now);
        }
        if (s->draining && (!s->nlive || wf_now_ns() >= s->drain_deadline_ns)) break;
    }
    /* No handler comes home from now on: those on their way go to the workers. */
    pthread_mutex_lock(&s->home_mu);
    s->home_closed = true;
    h2x *homed = s->home_head;
    s->home_head = s->home_tail = NULL;
    pthread_mutex_unlock(&s->home_mu);
    while (homed) {
        h2x *hx = homed;
        homed = hx->home_next;
        wf_sched_send_back(&hx->x.task);
    }
    /* Whatever is still running is talking to nobody from now on, and is
     * cut now (its call stops as at its deadline): the drain timeout caps
     * the stop, not each handler's own deadline. */
    for (h2o_linklist_t *l = s->live.next; l != &s->live; l = l->next) {
        h2x *hx = H2O_STRUCT_FROM_MEMBER(h2x, link, l);
        bool held = x_lock(&hx->x);
        wf_http_exchange_gone_locked(&hx->x);
        bool running = !hx->x.task_done && hx->handler_alive;
        x_unlock(&hx->x, held);
        if (running) {
            __atomic_store_n(&hx->x.interrupt, 1, __ATOMIC_RELAXED);
            wf_task_wake(&hx->x.task);
        }
    }
    return NULL;
}

static void install_yield_signal(void)
{
    struct sigaction sa = { .sa_handler = on_yield_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(YIELD_SIGNAL, &sa, NULL);
}

wf_error *wf_http_server_start(wf_http_server *s)
{
    h2o_multithread_register_receiver(s->queue, &s->control, on_control);
    if (s->inline_handlers) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, install_yield_signal);
    }
    int rc = pthread_create(&s->thread, NULL, loop_main, s);
    if (rc) return wf_error_new(WF_ERR_LIMIT, "http server: cannot start its thread: %s", strerror(rc));
    s->started = true;
    if (s->inline_handlers) {
        rc = pthread_create(&s->wd_thread, NULL, watchdog_main, s);
        /* Without it a long handler could hold the loop: start none on it. */
        if (rc) s->inline_handlers = false;
        else s->wd_started = true;
    }
    return NULL;
}

void wf_http_server_stop(wf_http_server *s, uint32_t drain_ms)
{
    if (s->stopped) return;
    s->stopped = true;
    if (s->started) {
        s->drain_ms = drain_ms;
        h2o_multithread_send_message(&s->control, &s->stop_msg);
        pthread_join(s->thread, NULL);
    }
    if (s->wd_started) {
        atomic_store(&s->quit, true);
        pthread_mutex_lock(&s->wd_mu);
        pthread_cond_signal(&s->wd_cv);
        pthread_mutex_unlock(&s->wd_mu);
        pthread_join(s->wd_thread, NULL);
        s->wd_started = false;
    }
    /* Every handler runs to its end (each within its own deadline), then
     * the exchanges go; their requests belong to connections that are
     * closed with the loop. */
    wf_sched_group_free(s->group);
    s->group = NULL;
    while (!h2o_linklist_is_empty(&s->live)) {
        h2x *hx = H2O_STRUCT_FROM_MEMBER(h2x, link, s->live.next);
        h2o_linklist_unlink(&hx->link);
        wf_http_routes_unref(hx->x.routes);
        wf_http_exchange_destroy(&hx->x);
        wf_buf_free(&hx->sending);
        wf_buf_free(&hx->last_chunk);
        free(hx);
    }
}

void wf_http_server_free(wf_http_server *s)
{
    if (!s) return;
    if (!s->stopped) wf_http_server_stop(s, 0);
    for (size_t i = 0; i < s->svcs.len; i++) {
        wf_http_service *svc = s->svcs.data[i];
        wf_http_routes_unref(svc->routes);
        wf_http_routes_unref(svc->loop_routes);
        svc->routes = svc->loop_routes = NULL;
    }
    /* The loop, the services' h2o contexts and configurations stay, and
     * so does s: connections still open hold pointers into them, and h2o
     * 2.2 cannot close them from outside nor dispose a context with
     * timers pending. Kept reachable (not leaked) until the process ends. */
    s->retired_next = retired;
    retired = s;
    while (s->spare) {
        h2x *hx = s->spare;
        s->spare = hx->spare_next;
        h2x_free_spare(hx);
    }
    s->nspare = 0;
}
