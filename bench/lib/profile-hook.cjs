// Preload for bench/profile-request.mjs: a first SIGUSR2 starts a CPU profile (or, with BENCH_PROFILE_HEAP=1, an
// allocation sampling that keeps collected objects) of the main thread; a second one writes it and the CPU time
// of the window (process and main thread) to $BENCH_PROFILE_OUT.json.
'use strict';
const fs = require('node:fs');
const inspector = require('node:inspector');

const out = process.env.BENCH_PROFILE_OUT;
const heap = process.env.BENCH_PROFILE_HEAP === '1';
const session = new inspector.Session();
session.connect();
// A same-thread session answers synchronously.
function post(method, params) {
  let error;
  let result;
  session.post(method, params, (e, r) => ((error = e), (result = r)));
  if (error) throw error;
  return result;
}
let start;
process.on('SIGUSR2', () => {
  if (!start) {
    if (heap) {
      post('HeapProfiler.enable');
      post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    } else {
      post('Profiler.enable');
      post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_INTERVAL || 100) });
      post('Profiler.start');
    }
    start = { process: process.cpuUsage(), thread: process.threadCpuUsage() };
    return;
  }
  const cpu = { process: process.cpuUsage(start.process), thread: process.threadCpuUsage(start.thread) };
  const profile = heap ? post('HeapProfiler.stopSampling').profile : post('Profiler.stop').profile;
  fs.writeFileSync(`${out}.tmp`, JSON.stringify({ cpu, heap, profile }));
  fs.renameSync(`${out}.tmp`, `${out}.json`);
  start = undefined;
});
