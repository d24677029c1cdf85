// What each recorded span costs the whole process: span-rate.cjs at BENCH_RATE spans/s (default 20k) for
// BENCH_SECONDS (default 5), BENCH_ATTRIBUTES per span (default 8, as bench/pipeline.mjs), under no agent, this agent, the official register, and this agent to a collector
// that never answers; rounds interleaved, medians. CPU per span = (CPU of the variant - CPU without an agent) / spans,
// whole process: each agent's startup included (large for the official register), unlike bench/pipeline.mjs's figure.
// For before/after comparisons of this agent's builds in one run (BENCH_BASELINE_AGENT), not for the ratio.
// Prints a table; does not touch RESULTS.md (the bench suite owns it).
import {
  AGENT_ARGS, FAIR_ENV, OFFICIAL_ARGS, die, fmt, int, makeAppDir, median, progress, progressDone, requireDist, table,
} from './lib/common.mjs';
import { appRun } from './lib/app-run.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const RATE = Number(process.env.BENCH_RATE) || 20_000;
const SECONDS = Number(process.env.BENCH_SECONDS) || 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;
const ATTRIBUTES = Number(process.env.BENCH_ATTRIBUTES) || 8;

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'agent, silent collector', args: AGENT_ARGS, env: FAIR_ENV, tracing: true, silent: true },
];
// BENCH_BASELINE_AGENT=/path/to/another/build/dist/register.js adds that build as a row (before/after comparisons).
if (process.env.BENCH_BASELINE_AGENT) {
  VARIANTS.push({ name: 'agent (baseline build)', args: ['--import', process.env.BENCH_BASELINE_AGENT], env: FAIR_ENV, tracing: true });
  VARIANTS.push({ name: 'agent (baseline build), silent collector', args: ['--import', process.env.BENCH_BASELINE_AGENT], env: FAIR_ENV, tracing: true, silent: true });
}

async function main() {
  requireDist();
  const dir = makeAppDir({ copy: ['span-rate.cjs'] });
  const sink = await new OtlpSink().start();
  const silent = await new OtlpSink().start();
  silent.mode = 'hang';
  const runs = new Map(VARIANTS.map((v) => [v.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + round) % VARIANTS.length];
        progress(`pipeline-cost: round ${round + 1}/${ROUNDS}, ${v.name}`);
        const r = await appRun({
          dir, sink: v.silent ? silent : sink, variant: v, file: 'span-rate.cjs',
          env: { BENCH_RATE: String(RATE), BENCH_SECONDS: String(SECONDS), BENCH_ATTRIBUTES: String(ATTRIBUTES) }, timeoutMs: SECONDS * 1000 + 60_000,
        });
        if (r.timedOut) die(`${v.name}: killed after ${SECONDS + 60} s`);
        silent.releaseHung();
        const created = Number(/created (\d+)/.exec(r.stdout)?.[1]);
        runs.get(v.name).push({ ...r, created, round });
      }
    }
    progressDone();
  } finally {
    await sink.stop();
    await silent.stop();
  }
  const none = runs.get('none');
  const cpuPerSpan = (r) => ((r.cpuMs - none.find((n) => n.round === r.round).cpuMs) * 1000) / r.created;
  const official = median(runs.get('official').map(cpuPerSpan));
  const rows = VARIANTS.map((v) => {
    const rs = runs.get(v.name);
    const perSpan = median(rs.map(cpuPerSpan));
    return [
      v.name, rs.length, int(median(rs.map((r) => r.created))),
      v.tracing ? fmt(median(rs.map((r) => (100 * r.delivered) / r.created)), 1) : '–',
      v.name.startsWith('agent') ? int(median(rs.map((r) => r.loss.dropped))) : '–',
      v.name.startsWith('agent') ? int(Math.max(...rs.map((r) => Math.abs(r.created - r.delivered - r.loss.dropped)))) : '–',
      fmt(median(rs.map((r) => r.cpuMs / 1000)), 2), v.tracing ? fmt(perSpan, 2) : '–', v.tracing ? fmt(perSpan / official, 2) : '–',
      fmt(median(rs.map((r) => r.rssMiB)), 0), fmt(median(rs.map((r) => r.wallMs / 1000)), 2),
    ];
  });
  console.log(`span-rate.cjs, ${RATE} spans/s for ${SECONDS} s, ${ATTRIBUTES} attributes per span, ${ROUNDS} rounds interleaved, medians; default batch settings\n`);
  console.log(table(['variant', 'n', 'spans', 'delivered %', 'lost (reported)', 'unaccounted (max)', 'CPU s', 'CPU µs/span', 'vs official', 'peak RSS MiB', 'wall s'], rows));
}

main().catch((err) => die(err.stack ?? String(err)));
