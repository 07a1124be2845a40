// hello.js - the componentize-js proxy bench/http/run loads with wrk: a
// fetch-event handler (wasi:http/incoming-handler) answering the same
// constant as nginx and the WAT endpoint beside it.
addEventListener('fetch', (event) =>
  event.respondWith(new Response('hello\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } })));
