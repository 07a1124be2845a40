/*
 * live.h - a project that reloads while it serves (SPEC §1, §9): versions
 * of the registry side by side.
 *
 * A version is one load of the project directory: its registry and a
 * runtime of its own, counted by references. Whoever serves a request or a
 * call takes the current version (wf_project_live_acquire), uses it to the
 * end, and lets it go (wf_project_version_release). A reload loads the
 * directory again into a new version beside the old one; only when it
 * loaded without any error does it become the current one, so a broken
 * edit is reported and the old version keeps serving. The old version is
 * freed when its last reference goes: calls in flight finish on the code
 * they started with, new calls get the new code. Every version counts its
 * calls into the one metrics object of the live project (metrics.h), so
 * counters survive reloads.
 *
 * Watching: wf_project_live_watch starts a thread that follows the
 * project's directories with inotify. A change to a file the registry may
 * read (_index.yaml and other .yaml/.yml, .wat, .wasm, .wit, .lua, .json,
 * .env; editors' temporary files ignored) starts a reload once the tree
 * has been quiet for WF_PROJECT_LIVE_SETTLE_MS, then tells on_reload: the
 * new version (borrowed for the callback: acquire it to keep it), or the
 * load error with the old version still current. New directories are
 * watched from the next event on.
 *
 * Threads: everything here is thread-safe; reloads are serialized.
 */
#ifndef WF_PROJECT_LIVE_H
#define WF_PROJECT_LIVE_H

#include "registry/registry.h"
#include "runtime/metrics.h"
#include "runtime/runtime.h"

#define WF_PROJECT_LIVE_SETTLE_MS 150

typedef struct wf_project_live wf_project_live;

typedef struct wf_project_version {
    wf_registry *reg;
    wf_runtime *rt;
    uint64_t number;        /* 1 for the first load, then one more per reload */
    /* the live project's own */
    int refs;
    wf_project_live *live;
} wf_project_version;

/* Load dir as version 1 (a load error is returned as wf_project_load's:
 * every problem, one a line). */
wf_error *wf_project_live_open(const char *dir, wf_project_live **out);
/* Stop watching, drop the current version, wait until every version is
 * freed (callers must have released theirs), free. */
void wf_project_live_close(wf_project_live *lp);

/* The current version, with a reference for the caller. */
wf_project_version *wf_project_live_acquire(wf_project_live *lp);
/* Another reference to v (a request that hands v on). */
void wf_project_version_retain(wf_project_version *v);
/* Drop a reference; the last one frees the version (on a thread of its
 * own: its runtime waits for its pools' workers, which may be the caller). */
void wf_project_version_release(wf_project_version *v);

/* Load the directory again; on success the new version is current and its
 * number is returned in *number (may be NULL). On error nothing changes. */
wf_error *wf_project_live_reload(wf_project_live *lp, uint64_t *number);

/* The metrics every version counts into. */
wf_metrics *wf_project_live_metrics(wf_project_live *lp);

/* Watch the directory (see above). on_reload runs on the watching thread:
 * v is the new current version (NULL on error), e the load error (NULL on
 * success). IO when inotify is not available. */
typedef void (*wf_project_live_fn)(void *ud, wf_project_version *v, const wf_error *e);
wf_error *wf_project_live_watch(wf_project_live *lp, wf_project_live_fn on_reload, void *ud);

#endif
