// Creates spans at a fixed rate (BENCH_RATE spans/s) for BENCH_SECONDS with @opentelemetry/api, in 10 ms ticks,
// then returns: the process ends when its event loop drains (the normal exit path). Each span is a root span.
// Prints "created <n> in <ms> ms" (the loop's own time; below the rate when span creation cannot keep up).
'use strict';
const { trace } = require('@opentelemetry/api');

const RATE = Number(process.env.BENCH_RATE);
const SECONDS = Number(process.env.BENCH_SECONDS);
const tracer = trace.getTracer('bench');
const start = performance.now();
let created = 0;

function tick() {
  const elapsed = performance.now() - start;
  const due = Math.min(RATE * SECONDS, Math.floor((RATE * elapsed) / 1000));
  for (; created < due; created++) tracer.startSpan('span', { attributes: { 'bench.index': created } }).end();
  if (created < RATE * SECONDS) setTimeout(tick, 10);
  else process.stdout.write(`created ${created} in ${(performance.now() - start).toFixed(0)} ms\n`);
}
tick();
