// An HTTP client: BENCH_REQUESTS fetches of BENCH_URL with the global fetch (undici), BENCH_CONCURRENCY at a time,
// each body read to its end. Prints "fetched <n> in <ms> ms, <failed> failed" (first request to last answer), then
// returns: the process ends when its event loop drains.
'use strict';

const URL_ = process.env.BENCH_URL;
const REQUESTS = Number(process.env.BENCH_REQUESTS);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 10);
let next = 0;
let failed = 0;

async function worker() {
  while (next < REQUESTS) {
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

const start = performance.now();
Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => {
  process.stdout.write(`fetched ${next} in ${(performance.now() - start).toFixed(1)} ms, ${failed} failed\n`);
});
