// The HTTP server under load: a plain node:http server (BENCH_APP=http), where each request to / answers
// "hello world", or an express 5 app (BENCH_APP=express), where GET /users/:id answers a small JSON user.
// With BENCH_CHILD_SPANS=N each request first creates N child spans of the request's span with @opentelemetry/api.
// The same request with ?shutdown=1 is served the same way (same spans), then the server closes and the
// process ends on its own when the event loop drains: the normal exit path, for every variant.
// Prints "listening <port>" when ready and "served <n>" (requests served, the shutdown one included) at the end.
'use strict';
const http = require('node:http');

const APP = process.env.BENCH_APP || 'http';
const CHILD_SPANS = Number(process.env.BENCH_CHILD_SPANS || 0);
const tracer = CHILD_SPANS > 0 ? require('@opentelemetry/api').trace.getTracer('bench') : undefined;
let served = 0;
let server;

function work() {
  served++;
  for (let i = 0; i < CHILD_SPANS; i++) tracer.startSpan('child').end();
}

function shutdown() {
  server.close(() => process.stdout.write(`served ${served}\n`));
  server.closeIdleConnections();
}

if (APP === 'express') {
  const express = require('express');
  const app = express();
  app.get('/users/:id', (req, res) => {
    work();
    if (req.query.shutdown) {
      res.set('connection', 'close').json({ bye: true });
      res.on('finish', shutdown);
    } else {
      res.json({ id: req.params.id, name: `user ${req.params.id}` });
    }
  });
  server = http.createServer(app);
} else {
  server = http.createServer((req, res) => {
    const url = req.url;
    if (url === '/' || url.startsWith('/?')) {
      work();
      if (url === '/?shutdown=1') {
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('bye');
        res.on('finish', shutdown);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello world');
    } else {
      res.writeHead(404).end();
    }
  });
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
