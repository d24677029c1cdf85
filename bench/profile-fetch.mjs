// Where the client's CPU of one fetch goes (issue 18's fetch row): bench/apps/fetch-loop.cjs under --cpu-prof with no
// agent and with this agent (unbundled dist/register.js, so frames name their files), against a node:http server with
// no agent, exporting to the bench's OTLP sink; prints self µs per fetch by function, largest differences first.
// node bench/profile-fetch.mjs [fetches=20000]; writes bench/out/profile-fetch/.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, FAIR_ENV, childEnv, die, fmt, makeAppDir, runMain, runNode, table } from './lib/common.mjs';
import { LOAD_CPUS, SERVER_CPUS } from './lib/http-load.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';
import { bucket } from './profile-request.mjs';

function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const by = { bucket: new Map(), fn: new Map() };
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = 0; i < profile.samples.length; i++) {
    const f = nodes.get(profile.samples[i]).callFrame;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    add(by.bucket, bucket(f.url, f.functionName), dt);
    add(by.fn, `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/node_modules\//, '').replace(/.*\/otel-agent\/dist\//, 'agent/')}${f.url ? `:${f.lineNumber + 1}` : ''}`.trim(), dt);
  }
  by.bucket.delete('idle');
  by.fn.delete('(idle)');
  return by;
}

async function main() {
  const fetches = Number(process.argv[2]) || 20_000;
  const outDir = path.join(BENCH, 'out', 'profile-fetch');
  fs.rmSync(outDir, { recursive: true, force: true });
  const dir = makeAppDir({ copy: ['server.cjs', 'fetch-loop.cjs'] });
  const sink = await new OtlpSink().start();
  let onPort;
  const port = new Promise((resolve) => (onPort = resolve));
  const server = runNode(['server.cjs'], { cwd: dir, cpus: SERVER_CPUS, env: childEnv({ BENCH_APP: 'http' }), timeoutMs: 600_000, onStdout: (t) => /listening (\d+)/.test(t) && onPort(Number(/listening (\d+)/.exec(t)[1])) });
  const url = `http://127.0.0.1:${await port}/`;
  const result = {};
  try {
    for (const [name, args] of [['none', []], ['agent', ['--import', path.join(dir, 'node_modules/@org/otel-agent/dist/register.js')]]]) {
      const r = await runNode(['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', path.join(outDir, name), ...args, 'fetch-loop.cjs'], {
        cwd: dir, cpus: LOAD_CPUS, timeoutMs: 300_000,
        env: childEnv({ ...FAIR_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint(name), BENCH_URL: url, BENCH_REQUESTS: String(fetches), BENCH_CONCURRENCY: '10' }),
      });
      if (r.code !== 0) die(`${name}: exit ${r.code}\n${r.stderr}`);
      const file = fs.readdirSync(path.join(outDir, name)).find((f) => f.endsWith('.cpuprofile'));
      result[name] = selfTimes(JSON.parse(fs.readFileSync(path.join(outDir, name, file), 'utf8')));
      if (name === 'agent' && sink.count(name) !== fetches) die(`agent: ${sink.count(name)} of ${fetches} spans at the sink`);
    }
  } finally {
    await fetch(`${url}?shutdown=1`).then((res) => res.text()).catch(() => {});
    await server;
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lines = [`# Client CPU per fetch: fetch-loop.cjs, ${fetches} fetches, 10 at a time (self time, idle left out, startup included)`];
  for (const [what, limit] of [['bucket', 20], ['fn', 40]]) {
    const keys = new Set([...result.none[what].keys(), ...result.agent[what].keys()]);
    const rows = [...keys].map((k) => [k, (result.agent[what].get(k) ?? 0) / fetches, (result.none[what].get(k) ?? 0) / fetches]);
    const total = rows.reduce((t, r) => t + r[1] - r[2], 0);
    rows.sort((a, b) => Math.abs(b[1] - b[2]) - Math.abs(a[1] - a[2]));
    lines.push('', `## by ${what} (µs per fetch; agent − none in all: ${fmt(total, 2)})`, '', table([what, 'agent', 'none', 'agent − none'], rows.slice(0, limit).map(([k, a, n]) => [k, fmt(a, 2), fmt(n, 2), `${a - n >= 0 ? '+' : ''}${fmt(a - n, 2)}`])));
  }
  const text = lines.join('\n');
  fs.writeFileSync(path.join(outDir, 'report.md'), `${text}\n`);
  console.log(text);
}

await runMain('profile-fetch', main);
