// Spawns BENCH_SPAWNS short processes (/bin/true through child_process.execFile), BENCH_CONCURRENCY at a time,
// and prints "spawned <n> in <ms> ms" (from the first spawn to the last exit) and the number that failed.
'use strict';
const { execFile } = require('node:child_process');

const TOTAL = Number(process.env.BENCH_SPAWNS || 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 1);
let started = 0;
let done = 0;
let failed = 0;
const t0 = performance.now();

function next() {
  if (started >= TOTAL) return;
  started++;
  execFile('/bin/true', (err) => {
    if (err) failed++;
    if (++done === TOTAL) process.stdout.write(`spawned ${done} in ${(performance.now() - t0).toFixed(1)} ms, ${failed} failed\n`);
    else next();
  });
}
for (let i = 0; i < CONCURRENCY; i++) next();
