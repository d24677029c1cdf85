// Creates spans at a fixed rate (BENCH_RATE spans/s) for BENCH_SECONDS with @opentelemetry/api, in 10 ms ticks,
// then returns: the process ends when its event loop drains (the normal exit path). Each span is a root span with
// BENCH_ATTRIBUTES attributes (1 to 8; default 1). Prints "cpu-at-start <µs>" (the process's CPU time before its
// first span: startup excluded) and, at the end, "created <n> in <ms> ms, last-line <epoch ms>" (the loop's own
// time; below the rate when span creation cannot keep up).
'use strict';
const { trace } = require('@opentelemetry/api');

const RATE = Number(process.env.BENCH_RATE);
const SECONDS = Number(process.env.BENCH_SECONDS);
const ATTRIBUTES = Number(process.env.BENCH_ATTRIBUTES || 1);
// The attributes of a typical server span, beyond the index: strings and numbers.
const EXTRA = [
  ['http.request.method', 'GET'], ['url.path', '/users/42'], ['url.scheme', 'http'], ['http.route', '/users/:id'],
  ['http.response.status_code', 200], ['server.address', 'api.example.com'], ['server.port', 8080],
].slice(0, ATTRIBUTES - 1);
const tracer = trace.getTracer('bench');
const cpu = process.cpuUsage();
process.stdout.write(`cpu-at-start ${cpu.user + cpu.system}\n`);
const start = performance.now();
let created = 0;

function attributes(index) {
  const out = { 'bench.index': index };
  for (const [key, value] of EXTRA) out[key] = value;
  return out;
}

function tick() {
  const elapsed = performance.now() - start;
  const due = Math.min(RATE * SECONDS, Math.floor((RATE * elapsed) / 1000));
  for (; created < due; created++) tracer.startSpan('span', { attributes: attributes(created) }).end();
  if (created < RATE * SECONDS) setTimeout(tick, 10);
  else process.stdout.write(`created ${created} in ${(performance.now() - start).toFixed(0)} ms, last-line ${performance.timeOrigin + performance.now()}\n`);
}
tick();
