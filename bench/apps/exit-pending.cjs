// Ends BENCH_PENDING spans (with @opentelemetry/api) right before its last line, so they are still waiting for
// export when the program finishes, then prints "last-line <epoch ms>" and returns (the event loop drains).
'use strict';
const { trace } = require('@opentelemetry/api');

const tracer = trace.getTracer('bench');
const pending = Number(process.env.BENCH_PENDING || 100);
for (let i = 0; i < pending; i++) tracer.startSpan('work', { attributes: { 'bench.index': i } }).end();
process.stdout.write(`last-line ${performance.timeOrigin + performance.now()}\n`);
