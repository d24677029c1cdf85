// Instructions per request (valgrind callgrind, all threads, user space only) of the node:http hello world with no
// agent, this agent and the sampler off: a noise-free check of bench/profile-request.mjs. Counters are zeroed after a
// warm-up and dumped after <requests>. node bench/count-instructions.mjs [requests=3000] [warm-up=2000]; needs valgrind.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AGENT_ARGS, BENCH, FAIR_ENV, chooseVariants, childEnv, die, fmt, int, makeAppDir, runMain, table } from './lib/common.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const autocannon = createRequire(import.meta.url)('autocannon');
const VARIANTS = chooseVariants([
  { name: 'none', args: [], env: FAIR_ENV },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV },
  { name: 'sampler off', args: AGENT_ARGS, env: { ...FAIR_ENV, OTEL_TRACES_SAMPLER: 'always_off' } },
], { env: FAIR_ENV });
// BENCH_BASELINE_AGENT and BENCH_VARIANTS (e.g. 'none;agent'): see chooseVariants.

async function count({ dir, sink, variant, n, warmup, outDir }) {
  const key = variant.name.replace(/\W+/g, '-');
  const out = path.join(outDir, `${key}.callgrind`);
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, ...variant.args, 'server.cjs'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv({ ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint(key), BENCH_APP: 'http' }),
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise((resolve) => child.on('close', resolve));
  const port = await Promise.race([
    new Promise((resolve) => {
      let text = '';
      child.stdout.on('data', (d) => (text += d) && /listening (\d+)/.test(text) && resolve(Number(/listening (\d+)/.exec(text)[1])));
    }),
    closed.then(() => undefined),
  ]);
  if (port === undefined) die(`${variant.name}: the server ended before listening\n${stderr.slice(-2000)}`);
  const url = `http://127.0.0.1:${port}/`;
  const run = (amount) => autocannon({ url, amount, connections: 10, timeout: 60 });
  await run(warmup);
  execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
  const r = await run(n);
  execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
  await fetch(`${url}?shutdown=1`).then((res) => res.text());
  await closed;
  if (r.errors || r.non2xx || r.timeouts) die(`${variant.name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  const dump = fs.readdirSync(outDir).find((f) => f.startsWith(`${key}.callgrind.`));
  const total = Number(/^(?:summary|totals): (\d+)/m.exec(fs.readFileSync(path.join(outDir, dump), 'utf8'))?.[1]);
  if (!total) die(`${variant.name}: no instruction count in ${dump}`);
  return { requests: r.requests.total, perRequest: total / r.requests.total, spans: sink.count(key) };
}

async function main() {
  const n = Number(process.argv[2]) || 3000;
  const warmup = Number(process.argv[3]) || 2000;
  const outDir = path.join(BENCH, 'out', 'count-instructions');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const dir = makeAppDir({ copy: ['server.cjs'] });
  const sink = await new OtlpSink().start();
  const rows = [];
  try {
    for (const variant of VARIANTS) {
      process.stderr.write(`count-instructions: ${variant.name}, ${n} requests under callgrind\n`);
      rows.push({ variant, ...(await count({ dir, sink, variant, n, warmup, outDir })) });
    }
  } finally {
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const none = rows[0].perRequest;
  console.log(table(['variant', 'requests', 'spans at sink (warm-up included)', 'instructions per request', '− none', '× none'],
    rows.map((r) => [r.variant.name, r.requests, r.spans, int(r.perRequest), int(r.perRequest - none), fmt(r.perRequest / none, 2)])));
}

await runMain('count-instructions', main);
