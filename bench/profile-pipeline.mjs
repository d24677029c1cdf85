// What one exported span costs in bench/pipeline.mjs's program (bench/apps/span-rate.cjs, 8 attributes, paced), by
// bucket and function: --cpu-prof of no agent and of this agent (unbundled, so frames name their files), from the
// first span to the end. node bench/profile-pipeline.mjs [spans=30000]; writes bench/out/profile-pipeline/.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, FAIR_ENV, childEnv, die, fmt, makeAppDir, runMain, runNode, table } from './lib/common.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';
import { bucket } from './profile-request.mjs';

const RATE = 10_000;

/** Self µs by bucket and by function from the first sample inside span-rate.cjs to the end (startup left out). */
function sums(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id])));
  const inApp = (id) => {
    for (let x = id; x !== undefined; x = parent.get(x)) if (nodes.get(x).callFrame.url.endsWith('/span-rate.cjs')) return true;
    return false;
  };
  const by = { bucket: new Map(), fn: new Map() };
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = Math.max(0, profile.samples.findIndex(inApp)); i < profile.samples.length; i++) {
    const f = nodes.get(profile.samples[i]).callFrame;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    add(by.bucket, bucket(f.url, f.functionName), dt);
    add(by.fn, `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/node_modules\//, '').replace(/.*\/@org\/otel-agent\//, 'agent/')}${f.url ? `:${f.lineNumber + 1}` : ''}`.trim(), dt);
  }
  by.bucket.delete('idle');
  by.fn.delete('(idle)');
  return by;
}

async function main() {
  const spans = Number(process.argv[2]) || 30_000;
  const outDir = path.join(BENCH, 'out', 'profile-pipeline');
  fs.rmSync(outDir, { recursive: true, force: true });
  const dir = makeAppDir({ copy: ['span-rate.cjs'] });
  fs.rmSync(path.join(dir, 'node_modules', '@org', 'otel-agent', 'dist', 'autoinstrumentation'), { recursive: true });
  const sink = await new OtlpSink().start();
  const result = {};
  try {
    for (const [name, args] of [['none', []], ['agent', ['--import', '@org/otel-agent']]]) {
      const r = await runNode(['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', path.join(outDir, name), ...args, 'span-rate.cjs'], {
        cwd: dir, cpus: '0', timeoutMs: 300_000,
        env: childEnv({ ...FAIR_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint(name), BENCH_RATE: String(RATE), BENCH_SECONDS: String(spans / RATE), BENCH_ATTRIBUTES: '8' }),
      });
      if (r.code !== 0) die(`${name}: exit ${r.code}\n${r.stderr}`);
      const file = fs.readdirSync(path.join(outDir, name)).find((f) => f.endsWith('.cpuprofile'));
      result[name] = sums(JSON.parse(fs.readFileSync(path.join(outDir, name, file), 'utf8')));
      if (name === 'agent' && sink.count(name) !== spans) die(`agent: ${sink.count(name)} of ${spans} spans at the sink`);
    }
  } finally {
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lines = [`# Per exported span: span-rate.cjs, ${spans} spans at ${RATE}/s, 8 attributes (wall-time profile, idle left out)`];
  for (const [what, limit] of [['bucket', 30], ['fn', 30]]) {
    const keys = new Set([...result.none[what].keys(), ...result.agent[what].keys()]);
    const rows = [...keys].map((k) => [k, (result.agent[what].get(k) ?? 0) / spans, (result.none[what].get(k) ?? 0) / spans]);
    const total = rows.reduce((t, r) => t + r[1] - r[2], 0);
    rows.sort((a, b) => b[1] - b[2] - (a[1] - a[2]));
    lines.push('', table([what, 'µs agent', 'µs none', 'agent − none', 'share of the difference'], [
      ...rows.slice(0, limit).map(([k, a, n]) => [k, fmt(a, 2), fmt(n, 2), fmt(a - n, 2, true), `${fmt((100 * (a - n)) / total, 1)} %`]),
      ['all', '', '', fmt(total, 2, true), '100 %'],
    ]));
  }
  const text = lines.join('\n');
  fs.writeFileSync(path.join(outDir, 'report.md'), `${text}\n`);
  console.log(text);
}

await runMain('profile-pipeline', main);
