// proxy.js - a wasi:http proxy written as a fetch-event handler
// (componentize-js / StarlingMonkey), served by `wasmfn run` in
// wasi_http.sh. Routes (under the endpoint's path):
//   GET  .../hello        a greeting naming method, path and query, with headers
//   POST .../echo         the request body back, its length and content type
//   GET  .../stream?n=N   N chunks written one after another (a streamed body)
//   GET  .../headers      the request headers it saw, as JSON
//   GET  .../fetch?url=U  fetch(U) through wasi:http/outgoing-handler: its
//                         status, a header and body; a refused fetch -> 502
//                         with the error's message
//   GET  .../status?code=C an empty response with that status
//   GET  .../trap         throws (the server answers 500)
//   POST .../pipe         the request body streamed back as it is read
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(req) {
  const url = new URL(req.url);
  const path = url.pathname;
  if (path.endsWith('/hello')) {
    return new Response(`hello ${req.method} ${path}${url.search}\n`, {
      headers: { 'content-type': 'text/plain', 'x-hello': 'world' },
    });
  }
  if (path.endsWith('/echo')) {
    const body = await req.text();
    return new Response(body, {
      status: 201,
      headers: {
        'content-type': req.headers.get('content-type') || 'application/octet-stream',
        'x-echo-length': String(body.length),
      },
    });
  }
  if (path.endsWith('/stream')) {
    const n = Number(url.searchParams.get('n') || '3');
    let i = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (i >= n) {
          controller.close();
          return;
        }
        controller.enqueue(new TextEncoder().encode(`chunk ${i++}\n`));
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/plain' } });
  }
  if (path.endsWith('/pipe')) {
    return new Response(req.body, { headers: { 'content-type': 'application/octet-stream' } });
  }
  if (path.endsWith('/headers')) {
    const seen = {};
    for (const [k, v] of req.headers) seen[k] = v;
    return new Response(JSON.stringify(seen), { headers: { 'content-type': 'application/json' } });
  }
  if (path.endsWith('/fetch')) {
    const target = url.searchParams.get('url');
    try {
      const method = url.searchParams.get('method') || 'GET';
      const init = { method, headers: { 'x-from': 'proxy.js' } };
      if (method === 'POST') init.body = 'sent by proxy.js';
      const r = await fetch(target, init);
      const text = await r.text();
      return new Response(`upstream ${r.status} ${r.headers.get('x-upstream') || '-'}: ${text}`, {
        status: 200,
        headers: { 'content-type': 'text/plain' },
      });
    } catch (e) {
      return new Response(`fetch failed: ${e && e.message ? e.message : e}\n`, { status: 502 });
    }
  }
  if (path.endsWith('/status')) {
    return new Response(null, { status: Number(url.searchParams.get('code') || '200') });
  }
  if (path.endsWith('/trap')) {
    throw new Error('proxy.js was asked to fail');
  }
  return new Response('not here\n', { status: 404 });
}
