// An HTTP client: BENCH_WARMUP fetches (default 0, not timed), then BENCH_REQUESTS fetches of BENCH_URL with the global
// fetch (undici), BENCH_CONCURRENCY at a time, each body read to its end. Prints "fetched <n> in <ms> ms, <failed> failed"
// (the timed fetches: first request to last answer; failures of both phases), then returns: the process ends when its
// event loop drains.
'use strict';

const URL_ = process.env.BENCH_URL;
const REQUESTS = Number(process.env.BENCH_REQUESTS);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 10);
const WARMUP = Number(process.env.BENCH_WARMUP || 0);
let next = 0;
let failed = 0;
let limit = 0;

async function worker() {
  while (next < limit) {
    next++;
    try {
      const res = await fetch(URL_);
      await res.text();
      if (res.status !== 200) failed++;
    } catch {
      failed++;
    }
  }
}

const phase = (count) => {
  next = 0;
  limit = count;
  return Promise.all(Array.from({ length: CONCURRENCY }, worker));
};
let start;
phase(WARMUP)
  .then(() => {
    start = performance.now();
    return phase(REQUESTS);
  })
  .then(() => {
    process.stdout.write(`fetched ${next} in ${(performance.now() - start).toFixed(1)} ms, ${failed} failed\n`);
  });
