// child_process benchmark: a program spawning 1,000 short processes (/bin/true through execFile, one at a time)
// with no agent, this agent (one span per child) and the official register (no child_process instrumentation,
// for reference); prints a table and updates bench/RESULTS.md.
import fs from 'node:fs';
import {
  AGENT_ARGS, FAIR_ENV, OFFICIAL_ARGS, QUICK, checkDist, commandText, die, fmt, int, makeAppDir, median, p90, progress, progressDone,
  requireDist, runHeader, runMain, table, writeResults,
} from './lib/common.mjs';
import { appRun } from './lib/app-run.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 3);
const SPAWNS = QUICK ? 200 : 1000;
const CONCURRENCY = 1;
const TIMEOUT_MS = 120_000;

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true },
];
const ENV = { BENCH_SPAWNS: String(SPAWNS), BENCH_CONCURRENCY: String(CONCURRENCY) };

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['spawn-many.cjs'] });
  const sink = await new OtlpSink().start();
  const started = Date.now();
  const runs = new Map(VARIANTS.map((v) => [v.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + round) % VARIANTS.length];
        progress(`bench/child-process: round ${round + 1}/${ROUNDS}, ${v.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        const r = await appRun({ dir, sink, variant: v, file: 'spawn-many.cjs', env: ENV, timeoutMs: TIMEOUT_MS });
        if (r.timedOut) die(`spawn-many.cjs, ${v.name}: ran over ${TIMEOUT_MS / 1000} s and was killed`);
        const m = /spawned (\d+) in ([\d.]+) ms, (\d+) failed/.exec(r.stdout);
        if (!m) r.fail(`no "spawned" line: ${JSON.stringify(r.stdout)}`);
        if (Number(m[1]) !== SPAWNS || Number(m[3]) !== 0) r.fail(`spawned ${m[1]}, ${m[3]} failed`);
        // This agent traces each child: one span per spawn must reach the sink. The official register has no
        // child_process instrumentation: nothing may.
        if (v.name === 'agent' && r.delivered + r.loss.dropped !== SPAWNS) r.fail(`${r.delivered} spans delivered + ${r.loss.dropped} reported dropped for ${SPAWNS} spawns`);
        if (v.name === 'official' && r.delivered !== 0) r.fail(`${r.delivered} spans at the sink`);
        runs.get(v.name).push({ ...r, spawnMs: Number(m[2]) });
      }
    }
    progressDone();
  } finally {
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);

  const none = runs.get('none');
  const base = median(none.map((r) => r.spawnMs));
  const rows = VARIANTS.map((v) => {
    const rs = runs.get(v.name);
    const ms = median(rs.map((r) => r.spawnMs));
    const cpu = median(rs.map((r) => r.cpuMs));
    return [
      v.name, rs.length, `${fmt(ms, 0)} (${fmt(p90(rs.map((r) => r.spawnMs)), 0)})`, fmt((1000 * ms) / SPAWNS, 0),
      v.name === 'none' ? '' : fmt((1000 * (ms - base)) / SPAWNS, 0, true), v.name === 'none' ? '1' : fmt(ms / base, 2),
      fmt(cpu, 0),
      v.tracing ? int(median(rs.map((r) => r.delivered))) : '0', fmt(median(rs.map((r) => r.rssMiB)), 0),
    ];
  });
  const text = table(
    ['variant', 'n', `${SPAWNS} spawns, ms median (p90)`, 'µs per spawn', 'overhead µs per spawn', 'vs none', 'process CPU ms (with startup and exit)', 'spans at the sink', 'peak RSS MiB'],
    rows,
  );
  const section = `
## child_process

bench/apps/spawn-many.cjs runs \`execFile('/bin/true')\` ${SPAWNS} times, ${CONCURRENCY === 1 ? 'one after the other' : `${CONCURRENCY} at a time`}, and times
the loop itself (first spawn to last exit, so startup and exit are not included). This agent creates one span per child
(its \`child_process\` instrumentation) and passes the trace context in the child's environment; the official register
has no \`child_process\` instrumentation, so its row is the cost of its other hooks only (reference).

${runHeader()}
- Runs: ${ROUNDS} rounds, variants interleaved (order rotated each round); medians. Every run is checked: all ${SPAWNS} children
  exited 0, exit code 0, tracer provider set only for the agents, and exactly ${SPAWNS} spans delivered + reported dropped
  for this agent (none at the sink for the others).
- \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\` for every row; spans go to the local sink.

\`\`\`sh
${VARIANTS.map((v) => commandText({ ...v.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:<sink>/<run>', ...ENV }, [...v.args, 'spawn-many.cjs'])).join('\n')}
\`\`\`

${text}
`;
  console.log(section);
  writeResults('child-process', section);
}

await runMain('child-process', main);
