// The load generator, run as its own process (never with an agent): autocannon against <url> for <warmup> seconds
// (not measured: JIT warm-up, and an agent's lazy start at its first span and first export), then for <seconds>
// with <connections>, then GET <url>?shutdown=1 so the server ends on its own. Prints one JSON line.
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const [url, seconds, connections, mode = 'load', warmup = '0'] = process.argv.slice(2);

function get(target) {
  return new Promise((resolve, reject) => {
    http.get(target, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

let out;
if (mode === 'calibrate') {
  // Sequential requests at low rate: nothing is dropped, so the sink count / requests is the spans per request.
  let ok = 0;
  for (let i = 0; i < Number(seconds); i++) if ((await get(url)) === 200) ok++;
  out = { ok };
} else {
  const w = Number(warmup) > 0 ? await autocannon({ url, duration: Number(warmup), connections: Number(connections), pipelining: 1 }) : undefined;
  const r = await autocannon({ url, duration: Number(seconds), connections: Number(connections), pipelining: 1 });
  out = {
    warmupRequests: w?.requests.total ?? 0,
    warmupDuration: w?.duration ?? 0,
    warmupProblems: w ? w.errors + w.timeouts + w.non2xx : 0,
    rps: r.requests.average,
    requests: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    duration: r.duration,
  };
}
out.shutdownStatus = await get(`${url}?shutdown=1`);
out.shutdownAt = performance.timeOrigin + performance.now();
process.stdout.write(`${JSON.stringify(out)}\n`);
