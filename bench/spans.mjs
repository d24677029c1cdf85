// How cost grows with the number of spans: (1) the plain node:http server under load with 1, 10 and 100 child
// spans per request; (2) a program creating 1k, 10k and 100k spans per second into the exporter. No agent, this
// agent and the official register, interleaved; prints tables and updates bench/RESULTS.md.
import fs from 'node:fs';
import {
  AGENT_ARGS, FAIR_ENV, OFFICIAL_ARGS, QUICK, TASKSET, checkDist, commandText, die, fmt, int, makeAppDir, median, progress, progressDone,
  reasons, requireDist, runHeader, runMain, table, writeResults,
} from './lib/common.mjs';
import { appRun } from './lib/app-run.mjs';
import { LOAD_CPUS, SERVER_CPUS, WARMUP_SECONDS as WARMUP, accounting, serverRun, spansPerRequest } from './lib/http-load.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 2);
const LOAD_SECONDS = Number(process.env.BENCH_SECONDS) || (QUICK ? 2 : 3);
const RATE_SECONDS = QUICK ? 1 : 3;
const CHILD_SPANS = [1, 10, 100];
const RATES = [1_000, 10_000, 100_000];
const CONNECTIONS = 10;

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true },
];

const elapsed = (t) => `${((Date.now() - t) / 1000).toFixed(0)} s`;

async function perRequest(dir, sink, started) {
  const runs = new Map(CHILD_SPANS.map((n) => [n, new Map(VARIANTS.map((v) => [v.name, []]))]));
  const k = new Map();
  for (const n of CHILD_SPANS) {
    for (const v of VARIANTS.filter((x) => x.tracing)) {
      const got = await spansPerRequest({ dir, sink, variant: v, app: 'http', childSpans: n });
      if (got !== n + 1) die(`http with ${n} child spans, ${v.name}: ${got} spans per request, expected ${n + 1}`);
    }
    k.set(n, n + 1);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of CHILD_SPANS) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + round) % VARIANTS.length];
        progress(`bench/spans: per request, round ${round + 1}/${ROUNDS}, ${n} child spans, ${v.name} (${elapsed(started)})`);
        runs.get(n).get(v.name).push(await serverRun({ dir, sink, variant: v, app: 'http', childSpans: n, seconds: LOAD_SECONDS, warmup: WARMUP, connections: CONNECTIONS }));
      }
    }
  }
  const rows = [];
  const worst = { agentRatio: [], unaccounted: 0 };
  for (const n of CHILD_SPANS) {
    const none = median(runs.get(n).get('none').map((r) => r.rps));
    for (const v of VARIANTS) {
      const rs = runs.get(n).get(v.name);
      const acc = rs.map((r) => ({ ...accounting(r, k.get(n)), seconds: r.duration + r.warmupDuration }));
      const perSec = (pick) => median(acc.map((a) => pick(a) / a.seconds));
      const rps = median(rs.map((r) => r.rps));
      const unaccounted = acc.reduce((m, a) => Math.max(m, Math.abs(a.unaccounted)), 0);
      if (v.name === 'agent') worst.unaccounted = Math.max(worst.unaccounted, unaccounted);
      rows.push([
        n, v.name, rs.length, int(rps), v.name === 'none' ? '1' : fmt(rps / none, 2), fmt(median(rs.map((r) => r.p50)), 0), fmt(median(rs.map((r) => r.p99)), 0),
        v.tracing ? int(perSec((a) => a.created)) : '–', v.tracing ? int(perSec((a) => a.delivered)) : '0',
        !v.tracing ? '–' : v.name === 'agent' ? int(perSec((a) => a.dropped)) : 'not reported',
        v.name === 'official' ? int(perSec((a) => a.created - a.delivered)) : '–',
        v.name === 'agent' ? String(unaccounted) : '–',
        v.name === 'agent' ? reasons(rs) : '–',
        fmt(median(rs.map((r) => r.cpuMs / 1000)), 1), fmt(median(rs.map((r) => r.rssMiB)), 0),
      ]);
    }
  }
  const head = ['child spans per request', 'variant', 'n', 'req/s', 'vs none', 'p50 ms', 'p99 ms', 'spans created/s', 'delivered/s', 'dropped/s (reported)', 'dropped/s (created − delivered)', 'unaccounted spans (max)', 'drop reasons (all runs)', 'CPU s', 'peak RSS MiB'];
  return { text: table(head, rows), unaccounted: worst.unaccounted };
}

async function perRate(dir, sink, started) {
  const runs = new Map(RATES.map((rate) => [rate, new Map(VARIANTS.map((v) => [v.name, []]))]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const rate of RATES) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + round) % VARIANTS.length];
        progress(`bench/spans: per second, round ${round + 1}/${ROUNDS}, ${rate} spans/s, ${v.name} (${elapsed(started)})`);
        const r = await appRun({ dir, sink, variant: v, file: 'span-rate.cjs', env: { BENCH_RATE: String(rate), BENCH_SECONDS: String(RATE_SECONDS) }, timeoutMs: RATE_SECONDS * 1000 + 60_000 });
        if (r.timedOut) die(`span-rate.cjs at ${rate}/s, ${v.name}: ran over ${RATE_SECONDS + 60} s and was killed`);
        const m = /created (\d+) in (\d+) ms/.exec(r.stdout);
        if (!m) r.fail(`no "created" line: ${JSON.stringify(r.stdout)}`);
        const created = Number(m[1]);
        if (created !== rate * RATE_SECONDS) r.fail(`created ${created} spans, expected ${rate * RATE_SECONDS}`);
        runs.get(rate).get(v.name).push({ ...r, created, loopMs: Number(m[2]) });
      }
    }
  }
  const rows = [];
  let unaccountedMax = 0;
  for (const rate of RATES) {
    for (const v of VARIANTS) {
      const rs = runs.get(rate).get(v.name);
      const med = (pick) => median(rs.map(pick));
      const unaccounted = rs.reduce((m, r) => Math.max(m, Math.abs(r.created - r.delivered - r.loss.dropped)), 0);
      if (v.name === 'agent') unaccountedMax = Math.max(unaccountedMax, unaccounted);
      rows.push([
        int(rate), v.name, rs.length, int(med((r) => r.created / (r.loopMs / 1000))),
        v.tracing ? int(med((r) => r.delivered / RATE_SECONDS)) : '0',
        v.tracing ? fmt(med((r) => (100 * r.delivered) / r.created), 1) : '–',
        !v.tracing ? '–' : v.name === 'agent' ? int(med((r) => r.loss.dropped / RATE_SECONDS)) : 'not reported',
        v.name === 'official' ? int(med((r) => (r.created - r.delivered) / RATE_SECONDS)) : '–',
        v.name === 'agent' ? String(unaccounted) : '–',
        v.name === 'agent' ? reasons(rs) : '–',
        fmt(med((r) => r.cpuMs / 1000), 2), fmt(med((r) => r.rssMiB), 0), fmt(med((r) => r.wallMs / 1000), 2),
      ]);
    }
  }
  const head = ['spans/s asked', 'variant', 'n', 'spans/s achieved', 'exported/s (sink)', 'delivered %', 'dropped/s (reported)', 'dropped/s (created − delivered)', 'unaccounted spans (max)', 'drop reasons (all runs)', 'CPU s', 'peak RSS MiB', 'wall s (incl. start and exit)'];
  return { text: table(head, rows), unaccounted: unaccountedMax };
}

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['server.cjs', 'span-rate.cjs'] });
  const sink = await new OtlpSink().start();
  const started = Date.now();
  let a, b;
  try {
    a = await perRequest(dir, sink, started);
    b = await perRate(dir, sink, started);
    progressDone();
  } finally {
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);
  if (sink.errors.length) die(`the sink could not decode: ${sink.errors.slice(0, 3).join('; ')}`);
  const cmd = (v, env, file) => commandText({ ...v.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:<sink>/<run>', ...env }, [...v.args, file]);
  const section = `
## How cost grows with spans

${runHeader()}
- Runs: ${ROUNDS} rounds, variants interleaved (order rotated each round); medians over rounds. Checks as in the HTTP
  benchmark: exit code 0 on the program's own, tracer provider set only for the agents, spans at the sink only for them,
  and for the per-request part every request answered 200 and spans per request calibrated to exactly 1 + N for both agents.
- \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\` for every row; default batch settings (queue 2048, batch 512, 5 s).
  This agent's drops are parsed from its loss line at exit; the official register reports none (column: created − delivered).

### Spans per request

The plain \`node:http\` server of the HTTP benchmark; each request also creates N child spans of its server span with
\`@opentelemetry/api\` (\`tracer.startSpan('child').end()\`), so 1 + N spans per request. autocannon: ${CONNECTIONS} connections, ${WARMUP} s of warm-up (not in req/s and latencies;
its spans are in the span columns, which divide by warm-up + measured time), then ${LOAD_SECONDS} s measured.
${TASKSET ? `The server runs on core ${SERVER_CPUS} and the load generator on core ${LOAD_CPUS} (taskset), as in the HTTP benchmark.` : 'Not pinned to cores (no taskset, or one core).'}

\`\`\`sh
${VARIANTS.map((v) => cmd(v, { BENCH_APP: 'http', BENCH_CHILD_SPANS: 'N' }, 'server.cjs')).join('\n')}
\`\`\`

${a.text}

### Spans per second into the exporter

bench/apps/span-rate.cjs creates root spans (one attribute each) at a fixed rate for ${RATE_SECONDS} s in 10 ms ticks, then
returns (the process ends when its loop drains, so both agents flush at exit). Achieved = spans / the loop's own time
(below the asked rate when creating spans cannot keep up). Exported/s = spans at the sink / ${RATE_SECONDS} s.

\`\`\`sh
${VARIANTS.map((v) => cmd(v, { BENCH_RATE: 'R', BENCH_SECONDS: RATE_SECONDS }, 'span-rate.cjs')).join('\n')}
\`\`\`

${b.text}

Every span counted by this agent (delivered + reported dropped = created) in every run: ${a.unaccounted === 0 && b.unaccounted === 0 ? '✓' : `✗ (up to ${Math.max(a.unaccounted, b.unaccounted)} unaccounted in a run)`}
`;
  console.log(section);
  writeResults('spans', section);
}

await runMain('spans', main);
