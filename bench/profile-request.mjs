// Where the CPU of one request goes (issue 19): profiles the node:http hello world (bench/apps/server.cjs) with no
// agent, this agent and this agent with the sampler off over a fixed number of requests, sums self time (and sampled
// allocation bytes) by bucket and function, and prints µs (bytes) per request per variant and the differences.
// node bench/profile-request.mjs [requests=30000]; BENCH_ROUNDS (3), BENCH_PROFILE_INTERVAL=<µs> (100); writes bench/out/profile-request/.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { AGENT_ARGS, BENCH, FAIR_ENV, REPORTER, childEnv, die, fmt, makeAppDir, median, runMain, runNode, table } from './lib/common.mjs';
import { LOAD_CPUS, SERVER_CPUS } from './lib/http-load.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const SELF = new URL(import.meta.url).pathname;
const HOOK = path.join(BENCH, 'lib', 'profile-hook.cjs');
const CONNECTIONS = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;

// The load generator (its own process, on LOAD_CPUS): warm-up, SIGUSR2 to the server, <n> requests, SIGUSR2, wait
// for the profile file, then GET /?shutdown=1.
async function load([url, warmup, n, pid, file]) {
  const autocannon = createRequire(import.meta.url)('autocannon');
  const http = await import('node:http');
  const run = (amount) => autocannon({ url, amount: Number(amount), connections: CONNECTIONS, pipelining: 1 });
  const w = await run(warmup);
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  process.kill(Number(pid), 'SIGUSR2');
  await pause(300);
  const r = await run(n);
  process.kill(Number(pid), 'SIGUSR2');
  for (let i = 0; i < 300 && !fs.existsSync(file); i++) await pause(100);
  await new Promise((resolve, reject) => http.get(`${url}?shutdown=1`, { agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject));
  const bad = w.errors + w.non2xx + w.timeouts + r.errors + r.non2xx + r.timeouts;
  process.stdout.write(`${JSON.stringify({ requests: r.requests.total, rps: r.requests.average, bad })}\n`);
}

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV },
  { name: 'sampler off', args: AGENT_ARGS, env: { ...FAIR_ENV, OTEL_TRACES_SAMPLER: 'always_off' } },
  // The same agent from dist/ (tsc output, unminified dependencies) instead of the one-file bundle: the same work,
  // but its frames name their source file, so its buckets say which part of the agent spends what.
  { name: 'agent unbundled', args: AGENT_ARGS, env: FAIR_ENV, unbundled: true },
];
const COLUMNS = ['agent', 'none', 'sampler off', 'agent unbundled'];

/** The bucket of a profile frame: agent folder, npm package, node core, app, or a V8 pseudo-frame. */
export function bucket(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return '(program): V8/native, no JS frame';
    return 'V8 builtins (no url)';
  }
  if (url.startsWith('node:')) return 'node core';
  const pkg = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  const agent = /\/@org\/otel-agent\/dist\/((?:instrumentations\/)?[^/]+)/.exec(url);
  if (pkg?.[1] === '@org/otel-agent' && agent) return `agent ${agent[1].replace(/\.js$/, '')}`;
  if (pkg) return pkg[1].startsWith('@protobufjs/') ? 'protobufjs' : pkg[1];
  if (url.endsWith('/server.cjs')) return 'app (server.cjs)';
  return url;
}

const short = (url) => url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '').replace(/.*\/@org\/otel-agent\//, 'agent/');

/** Self µs by bucket, by function and by file from a CPU profile; idle excluded from `busy`. */
function sumCpu(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  return aggregate(nodes, self, (n) => n.callFrame);
}

/** Self sampled bytes by bucket, by function and by file from a sampling heap profile. */
function sumHeap(profile) {
  const nodes = new Map();
  const self = new Map();
  const walk = (n) => {
    nodes.set(n.id, n);
    self.set(n.id, n.selfSize);
    n.children.forEach(walk);
  };
  walk(profile.head);
  return aggregate(nodes, self, (n) => n.callFrame);
}

function aggregate(nodes, self, frame) {
  const by = { bucket: new Map(), fn: new Map(), file: new Map() };
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  let busy = 0;
  for (const [id, v] of self) {
    const f = frame(nodes.get(id));
    const b = bucket(f.url, f.functionName);
    add(by.bucket, b, v);
    add(by.fn, `${f.functionName || '(anonymous)'} ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ''}`.trim(), v);
    add(by.file, f.url ? short(f.url) : f.functionName, v);
    if (b !== 'idle') busy += v;
  }
  return { ...by, busy };
}

async function profileRun({ dir, sink, variant, n, heap, outDir }) {
  const key = `${variant.name.replace(/\W+/g, '-')}-${heap ? 'heap' : 'cpu'}`;
  const file = path.join(outDir, key);
  fs.rmSync(`${file}.json`, { force: true });
  const env = childEnv({
    ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint(key), BENCH_APP: 'http', BENCH_USAGE_FILE: path.join(dir, `usage-${key}.json`),
    BENCH_PROFILE_OUT: file, BENCH_PROFILE_HEAP: heap ? '1' : '0', BENCH_PROFILE_INTERVAL: process.env.BENCH_PROFILE_INTERVAL ?? '100',
  });
  let onPort;
  const port = new Promise((resolve) => (onPort = resolve));
  let pid;
  const server = runNode(['--require', REPORTER, '--require', HOOK, ...variant.args, 'server.cjs'], {
    cwd: dir, env, cpus: SERVER_CPUS, timeoutMs: 300_000,
    onStdout: (text, child) => {
      const m = /listening (\d+)/.exec(text);
      if (!m) return;
      pid = child.pid;
      onPort(Number(m[1]));
    },
  });
  const p = await Promise.race([port, server.then(() => undefined)]);
  if (p === undefined) die(`${key}: the server ended before listening: ${(await server).stderr}`);
  // With taskset the child is taskset, which execs node: same pid.
  const l = await runNode([SELF, '--load', `http://127.0.0.1:${p}/`, String(Math.round(n / 3)), String(n), String(pid), `${file}.json`], {
    cwd: dir, env: childEnv({}), cpus: LOAD_CPUS, timeoutMs: 300_000,
  });
  const s = await server;
  if (l.code !== 0 || s.code !== 0) die(`${key}: load exit ${l.code}, server exit ${s.code}\n${l.stderr}\n${s.stderr}`);
  const lr = JSON.parse(l.stdout.trim().split('\n').pop());
  if (lr.bad) die(`${key}: ${lr.bad} failed requests`);
  const data = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'));
  fs.writeFileSync(`${file}.${heap ? 'heapprofile' : 'cpuprofile'}`, JSON.stringify(data.profile));
  return { ...lr, cpu: data.cpu, sums: heap ? sumHeap(data.profile) : sumCpu(data.profile), delivered: sink.count(key), stderr: s.stderr };
}

async function main() {
  const n = Number(process.argv[2]) || 30_000;
  const outDir = path.join(BENCH, 'out', 'profile-request');
  fs.mkdirSync(outDir, { recursive: true });
  const dir = makeAppDir({ copy: ['server.cjs'] });
  const plainDir = makeAppDir({ copy: ['server.cjs'] });
  fs.rmSync(path.join(plainDir, 'node_modules', '@org', 'otel-agent', 'dist', 'autoinstrumentation'), { recursive: true });
  const sink = await new OtlpSink().start();
  const runs = new Map(VARIANTS.flatMap((v) => ['cpu', 'heap'].map((kind) => [`${v.name}/${kind}`, []])));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const heap of [false, true]) {
        for (const v of VARIANTS) {
          process.stderr.write(`profile-request: round ${round + 1}/${ROUNDS}, ${v.name}, ${heap ? 'allocations' : 'cpu'}, ${n} requests\n`);
          runs.get(`${v.name}/${heap ? 'heap' : 'cpu'}`).push(await profileRun({ dir: v.unbundled ? plainDir : dir, sink, variant: v, n, heap, outDir }));
        }
      }
    }
  } finally {
    await sink.stop();
    for (const d of [dir, plainDir]) fs.rmSync(d, { recursive: true, force: true });
  }
  const names = VARIANTS.map((v) => v.name);
  const thread = (r) => (r.cpu.thread.user + r.cpu.thread.system) / r.requests;
  // The sampler records wall time (a descheduled thread still gets samples): each CPU profile is scaled so that
  // its busy (non-idle) time equals the main thread's CPU time; allocations are per request as sampled.
  const scale = (kind, r) => (kind === 'cpu' ? thread(r) / (r.sums.busy / r.requests) : 1);
  const per = (kind, v, what, k) => median(runs.get(`${v}/${kind}`).map((r) => ((r.sums[what].get(k) ?? 0) / r.requests) * scale(kind, r)));
  const col = (v, pick) => median(runs.get(`${v}/cpu`).map(pick));
  const report = [];
  const say = (s = '') => report.push(s);
  say(`# Per request: node:http hello world, ${n} measured requests (after ${Math.round(n / 3)} warm-up), ${CONNECTIONS} connections, medians of ${ROUNDS} rounds`);
  say();
  say(table(['variant', 'spans at sink', 'process CPU µs/req', 'main thread CPU µs/req', 'profiled busy (wall) µs/req', 'GC µs/req (scaled)'], names.map((v) => [
    v, col(v, (r) => r.delivered), fmt(col(v, (r) => (r.cpu.process.user + r.cpu.process.system) / r.requests), 2),
    fmt(col(v, thread), 2), fmt(col(v, (r) => r.sums.busy / r.requests), 2), fmt(per('cpu', v, 'bucket', 'GC'), 2),
  ])));
  for (const [kind, unit, digits] of [['cpu', 'µs', 2], ['heap', 'bytes', 0]]) {
    for (const [what, limit] of [['bucket', 40], ['file', 30], ['fn', 40]]) {
      const keys = new Set(names.flatMap((v) => runs.get(`${v}/${kind}`).flatMap((r) => [...r.sums[what].keys()])));
      keys.delete('idle');
      keys.delete('(idle)');
      const rows = [...keys].map((k) => {
        const [a, none, off, plain] = COLUMNS.map((v) => per(kind, v, what, k));
        return { k, a, none, off, plain };
      });
      const sum = (f) => rows.reduce((t, r) => t + f(r), 0);
      const top = rows.sort((x, y) => Math.abs(Math.max(y.a, y.plain) - y.none) - Math.abs(Math.max(x.a, x.plain) - x.none)).slice(0, limit);
      const cells = (r) => [fmt(r.a, digits), fmt(r.none, digits), fmt(r.off, digits), fmt(r.a - r.none, digits, true), fmt(r.a - r.off, digits, true), fmt(r.plain, digits), fmt(r.plain - r.none, digits, true)];
      say();
      say(`## ${unit} per request by ${what} (${kind === 'cpu' ? 'self time' : 'sampled allocations'}, idle left out), sorted by |agent − none| (either build)`);
      say();
      say(table([what, `${unit} agent`, `${unit} none`, `${unit} sampler off`, 'agent − none', 'agent − sampler off', `${unit} agent unbundled`, 'unbundled − none'], [
        ...top.map((r) => [r.k, ...cells(r)]),
        ['all (sum of medians)', ...cells({ a: sum((r) => r.a), none: sum((r) => r.none), off: sum((r) => r.off), plain: sum((r) => r.plain) })],
      ]));
    }
  }
  const text = report.join('\n');
  fs.writeFileSync(path.join(outDir, 'report.md'), `${text}\n`);
  console.log(text);
}

if (process.argv[2] === '--load') await load(process.argv.slice(3));
else if (process.argv[1] === SELF) await runMain('profile-request', main);
