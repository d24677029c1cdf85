// What each recorded span costs in the export pipeline (issue 11): whole-process CPU per span for 100k spans with
// 8 attributes; a steady 20k spans/s to a collector that answers at once (delivered %, peak RSS); the same to one
// that accepts and never answers (exit bounded, memory, every span counted). No agent, this agent and the official
// register, interleaved; prints tables and updates bench/RESULTS.md.
import fs from 'node:fs';
import {
  AGENT_ARGS, FAIR_ENV, OFFICIAL_ARGS, QUICK, checkDist, commandText, die, fmt, int, makeAppDir, median, progress, progressDone,
  reasons, requireDist, runHeader, runMain, table, writeResults,
} from './lib/common.mjs';
import { appRun } from './lib/app-run.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 2);
const ATTRIBUTES = 8;
// CPU per span: 100k spans, paced so that both agents' default queues keep up (every span exported).
const CPU_RATE = 10_000;
const CPU_SPANS = QUICK ? 10_000 : 100_000;
// A short run of the same program: the difference to the long one is the cost of the extra spans alone (one-time
// costs cancel out, such as this agent's SDK, which loads at the first span, not at startup).
const SHORT_SPANS = CPU_SPANS / 10;
// The steady load: 20k spans/s for 8 s, default settings.
const STEADY_RATE = 20_000;
const STEADY_SECONDS = QUICK ? 2 : 8;
// The official register needs about 40 s to end with a collector that never answers: one run, and none in quick runs.
const OFFICIAL_HANG_ROUNDS = QUICK ? 0 : 1;
// Issue 11 / 12 targets.
const TARGET_CPU_RATIO = 0.75;
const TARGET_HANG_RSS = 1.1;
// The agent's default OTEL_AGENT_FLUSH_TIMEOUT (2 s): its exit must stay near it with a collector that never answers.
const FLUSH_TIMEOUT_MS = 2000;
const EXIT_BOUND_MS = FLUSH_TIMEOUT_MS + 1000;
const TIMEOUT_MS = 120_000;

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true },
];
const AGENTS = VARIANTS.filter((v) => v.tracing);
const elapsed = (t) => `${((Date.now() - t) / 1000).toFixed(0)} s`;

/** One run of span-rate.cjs: spans created, delivered, the agent's losses, CPU after startup, peak RSS, exit time. */
async function spanRun({ dir, sink, variant, rate, seconds, endpoint, mayHang = false }) {
  const env = { BENCH_RATE: String(rate), BENCH_SECONDS: String(seconds), BENCH_ATTRIBUTES: String(ATTRIBUTES) };
  const r = await appRun({ dir, sink, variant, file: 'span-rate.cjs', env, endpoint, timeoutMs: TIMEOUT_MS });
  // The official register against a silent collector may outlast the limit: that is a result, not a failure.
  if (r.timedOut && mayHang) return { killed: true };
  if (r.timedOut) die(`span-rate.cjs at ${rate}/s, ${variant.name}: ran over ${TIMEOUT_MS / 1000} s and was killed`);
  const start = /^cpu-at-start (\d+)$/m.exec(r.stdout);
  const end = /^created (\d+) in (\d+) ms, last-line ([\d.]+)$/m.exec(r.stdout);
  if (!start || !end) r.fail(`unexpected output: ${JSON.stringify(r.stdout)}`);
  const created = Number(end[1]);
  if (created !== rate * seconds) r.fail(`created ${created} spans, expected ${rate * seconds}`);
  const run = {
    ...r, created, loopMs: Number(end[2]), exitMs: r.exitAt - Number(end[3]),
    // CPU of every thread from the first span to the process's end: recording, exporting, the final flush.
    workCpuMs: r.cpuMs - Number(start[1]) / 1000,
  };
  run.unaccounted = created - run.delivered - run.loss.dropped;
  return run;
}

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['span-rate.cjs'] });
  const sink = await new OtlpSink().start();
  const silent = await new OtlpSink().start();
  silent.mode = 'hang';
  const started = Date.now();
  const cpu = new Map(VARIANTS.map((v) => [v.name, []]));
  const short = new Map(VARIANTS.map((v) => [v.name, []]));
  const steady = new Map(AGENTS.map((v) => [v.name, []]));
  const hang = new Map(AGENTS.map((v) => [v.name, []]));
  let seq = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + round) % VARIANTS.length];
        progress(`bench/pipeline: round ${round + 1}/${ROUNDS}, ${int(CPU_SPANS)} spans, ${v.name} (${elapsed(started)})`);
        cpu.get(v.name).push(await spanRun({ dir, sink, variant: v, rate: CPU_RATE, seconds: CPU_SPANS / CPU_RATE }));
        progress(`bench/pipeline: round ${round + 1}/${ROUNDS}, ${int(SHORT_SPANS)} spans, ${v.name} (${elapsed(started)})`);
        short.get(v.name).push(await spanRun({ dir, sink, variant: v, rate: CPU_RATE, seconds: SHORT_SPANS / CPU_RATE }));
      }
      for (let i = 0; i < AGENTS.length; i++) {
        const v = AGENTS[(i + round) % AGENTS.length];
        progress(`bench/pipeline: round ${round + 1}/${ROUNDS}, ${int(STEADY_RATE)} spans/s, collector answers, ${v.name} (${elapsed(started)})`);
        steady.get(v.name).push(await spanRun({ dir, sink, variant: v, rate: STEADY_RATE, seconds: STEADY_SECONDS }));
      }
      for (let i = 0; i < AGENTS.length; i++) {
        const v = AGENTS[(i + round) % AGENTS.length];
        if (v.name === 'official' && round >= OFFICIAL_HANG_ROUNDS) continue;
        progress(`bench/pipeline: round ${round + 1}/${ROUNDS}, ${int(STEADY_RATE)} spans/s, collector never answers, ${v.name} (${elapsed(started)})`);
        const r = await spanRun({ dir, sink: silent, variant: v, rate: STEADY_RATE, seconds: STEADY_SECONDS, endpoint: silent.endpoint(`hang-${seq++}`), mayHang: v.name === 'official' });
        silent.releaseHung();
        hang.get(v.name).push(r);
      }
    }
    progressDone();
  } finally {
    await sink.stop();
    await silent.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);
  if (sink.errors.length) die(`the sink could not decode: ${sink.errors.slice(0, 3).join('; ')}`);

  // The figure is per recorded and exported span: it compares the agents only when every span reached the sink.
  const allExported = (name) => cpu.get(name).every((r) => r.delivered === r.created);
  const med = (rs, pick) => median(rs.map(pick));
  const noneCpu = med(cpu.get('none'), (r) => r.workCpuMs);
  const perSpan = (name) => ((med(cpu.get(name), (r) => r.workCpuMs) - noneCpu) * 1000) / CPU_SPANS;
  const perSpanWhole = (name) => ((med(cpu.get(name), (r) => r.cpuMs) - med(cpu.get('none'), (r) => r.cpuMs)) * 1000) / CPU_SPANS;
  // Per additional span: (long run − short run) with the variant, less the same without an agent.
  const marginal = (name) => ((med(cpu.get(name), (r) => r.workCpuMs) - med(short.get(name), (r) => r.workCpuMs) - (noneCpu - med(short.get('none'), (r) => r.workCpuMs))) * 1000) / (CPU_SPANS - SHORT_SPANS);
  const cpuRows = VARIANTS.map((v) => {
    const rs = cpu.get(v.name);
    return [
      v.name, rs.length, fmt(med(rs, (r) => r.workCpuMs), 0), fmt(med(rs, (r) => r.cpuMs), 0),
      v.tracing ? fmt(perSpan(v.name), 2) : '', v.tracing ? fmt(perSpanWhole(v.name), 2) : '', v.tracing ? fmt(marginal(v.name), 2) : '',
      v.tracing ? `${int(med(rs, (r) => r.delivered))}${allExported(v.name) ? '' : ` (lowest run ${int(Math.min(...rs.map((r) => r.delivered)))})`}` : '0',
      v.name === 'agent' ? reasons(rs) : '–', fmt(med(rs, (r) => r.rssMiB), 0),
    ];
  });
  const cpuRatio = perSpan('agent') / perSpan('official');
  const cpuTable = table(
    ['variant', 'n', 'CPU ms from the first span to the end', 'CPU ms, whole process (startup included)', 'µs CPU per span', 'µs CPU per span, startup included', `µs CPU per additional span (${int(CPU_SPANS)} − ${int(SHORT_SPANS)} spans)`, 'spans at the sink', 'drop reasons (all runs)', 'peak RSS MiB'],
    cpuRows,
  );

  const healthyRss = (name) => med(steady.get(name), (r) => r.rssMiB);
  const steadyRows = AGENTS.map((v) => {
    const rs = steady.get(v.name);
    return [
      v.name, rs.length, int(med(rs, (r) => r.created / (r.loopMs / 1000))), fmt(med(rs, (r) => (100 * r.delivered) / r.created), 1),
      fmt(Math.min(...rs.map((r) => (100 * r.delivered) / r.created)), 1),
      v.name === 'agent' ? reasons(rs) : 'not reported',
      v.name === 'agent' ? String(Math.max(...rs.map((r) => Math.abs(r.unaccounted)))) : '–',
      fmt(healthyRss(v.name), 0), fmt(med(rs, (r) => r.cpuMs / 1000), 2), fmt(med(rs, (r) => r.exitMs), 0),
    ];
  });
  const hangRows = AGENTS.filter((v) => hang.get(v.name).length).map((v) => {
    const killed = hang.get(v.name).filter((r) => r.killed).length;
    const rs = hang.get(v.name).filter((r) => !r.killed);
    if (!rs.length) return [v.name, killed, `killed after ${TIMEOUT_MS / 1000} s`, '', '', '', 'not reported', '–'];
    return [
      v.name, rs.length + killed, fmt(med(rs, (r) => r.exitMs), 0), `${fmt(Math.max(...rs.map((r) => r.exitMs)), 0)}${killed ? ` (${killed} killed after ${TIMEOUT_MS / 1000} s)` : ''}`,
      fmt(med(rs, (r) => r.rssMiB), 0), fmt(med(rs, (r) => r.rssMiB) / healthyRss(v.name), 2),
      v.name === 'agent' ? reasons(rs) : 'not reported',
      v.name === 'agent' ? String(Math.max(...rs.map((r) => Math.abs(r.unaccounted)))) : '–',
    ];
  });

  const agentSteady = steady.get('agent');
  const agentHang = hang.get('agent');
  const minDelivered = Math.min(...agentSteady.map((r) => r.delivered / r.created));
  const hangExit = Math.max(...agentHang.map((r) => r.exitMs));
  const hangRss = med(agentHang, (r) => r.rssMiB) / healthyRss('agent');
  const hangUnaccounted = Math.max(...agentHang.map((r) => Math.abs(r.unaccounted)));
  const mark = (ok) => (ok ? '✓' : '✗');
  const targets = table(['target (this agent)', 'measured', ''], [
    [
      `CPU per recorded and exported span ≤ ${TARGET_CPU_RATIO} × the official register's`,
      `${fmt(perSpan('agent'), 2)} / ${fmt(perSpan('official'), 2)} µs = ${fmt(cpuRatio, 2)}${AGENTS.every((v) => allExported(v.name)) ? '' : ' (not every span exported: not comparable)'}`,
      mark(cpuRatio <= TARGET_CPU_RATIO && AGENTS.every((v) => allExported(v.name))),
    ],
    [
      `the same, per additional span (one-time costs cancel out)`,
      `${fmt(marginal('agent'), 2)} / ${fmt(marginal('official'), 2)} µs = ${fmt(marginal('agent') / marginal('official'), 2)}`,
      mark(marginal('agent') / marginal('official') <= TARGET_CPU_RATIO && AGENTS.every((v) => allExported(v.name))),
    ],
    [`${int(STEADY_RATE)} spans/s to a working collector: 100 % delivered in every run`, `${fmt(100 * minDelivered, 1)} % (lowest run)`, mark(minDelivered === 1)],
    [`${int(STEADY_RATE)} spans/s: peak RSS ≤ the official register's`, `${fmt(healthyRss('agent'), 0)} vs ${fmt(healthyRss('official'), 0)} MiB`, mark(healthyRss('agent') <= healthyRss('official'))],
    [`collector never answers: exit within ${EXIT_BOUND_MS} ms of the last line (flush timeout ${FLUSH_TIMEOUT_MS} ms + 1 s)`, `${fmt(hangExit, 0)} ms (slowest run)`, mark(hangExit <= EXIT_BOUND_MS)],
    [`collector never answers: peak RSS ≤ ${TARGET_HANG_RSS} × the working collector's`, fmt(hangRss, 2), mark(hangRss <= TARGET_HANG_RSS)],
    ['collector never answers: every span counted (delivered + reported lost = created)', `up to ${hangUnaccounted} unaccounted in a run`, mark(hangUnaccounted === 0)],
  ]);

  const cmd = (v, env, endpoint) => commandText({ ...v.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...env }, [...v.args, 'span-rate.cjs']);
  const appEnv = (rate, seconds) => ({ BENCH_RATE: rate, BENCH_SECONDS: seconds, BENCH_ATTRIBUTES: ATTRIBUTES });
  const section = `
## The export pipeline: what each recorded span costs

bench/apps/span-rate.cjs creates root spans with ${ATTRIBUTES} attributes each (\`bench.index\` and seven strings and numbers of
a server span) with \`@opentelemetry/api\`, at a fixed rate in 10 ms ticks, then returns: the process ends when its
event loop drains, so each agent flushes at exit. Before its first span it prints the process's CPU time so far;
\`process.resourceUsage()\` at \`'exit'\` (bench/usage-reporter.cjs) gives the CPU at the end, of every thread (an
agent's export worker included), and the peak RSS.

${runHeader()}
- Runs: ${ROUNDS} rounds, variants interleaved (order rotated each round); medians over rounds. Not pinned to cores.
- Every run is checked: exit code 0 on the program's own, all spans created, tracer provider set only for the agents,
  no span at the sink without an agent. \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\` for every row; otherwise
  default settings (queue 2048, batch 512, 5 s delay; this agent's flush timeout ${FLUSH_TIMEOUT_MS} ms).

### CPU per recorded and exported span

${int(CPU_SPANS)} spans at ${int(CPU_RATE)} spans/s (paced, so that default queues can keep up: every span should reach the
sink; when one does not, the row shows the lowest run and the target is not met). µs CPU per span = (median CPU from the first span to the end with the agent − the same
without an agent) / ${int(CPU_SPANS)}. Per additional span = the same difference between a run of ${int(CPU_SPANS)} spans and one of
${int(SHORT_SPANS)}, divided by the ${int(CPU_SPANS - SHORT_SPANS)} spans between them: what each further span costs once every one-time cost
is paid (this agent loads the SDK at its first span, inside the first-span window; the official register at startup). The startup-included column uses the whole process's CPU instead, so it also carries
each agent's startup (large for the official register, see Startup).

\`\`\`sh
${VARIANTS.map((v) => cmd(v, appEnv(CPU_RATE, CPU_SPANS / CPU_RATE), 'http://127.0.0.1:<sink>/<run>')).join('\n')}
\`\`\`

${cpuTable}

### ${int(STEADY_RATE)} spans/s for ${STEADY_SECONDS} s

To a collector that answers 200 at once (the local sink), and to one that accepts each request, reads it and never
answers (issue 12: the process must still end in bounded time, with bounded memory, and count every span it could not
deliver). Delivered % = spans at the sink / spans created. Exit = from the program's last line to the process's end.
${OFFICIAL_HANG_ROUNDS ? `The official register runs ${OFFICIAL_HANG_ROUNDS} time against the silent collector (it takes tens of seconds to end).` : 'The official register does not run against the silent collector in quick runs.'}

\`\`\`sh
${AGENTS.map((v) => cmd(v, appEnv(STEADY_RATE, STEADY_SECONDS), 'http://127.0.0.1:<sink>/<run>')).join('\n')}
# never answers: the same with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<silent sink>/<run>
\`\`\`

Collector answers:

${table(['variant', 'n', 'spans/s achieved', 'delivered % (median)', 'delivered % (lowest run)', 'drop reasons (all runs)', 'unaccounted spans (max)', 'peak RSS MiB', 'CPU s', 'last line → end ms'], steadyRows)}

Collector never answers:

${table(['variant', 'n', 'last line → end ms (median)', 'slowest ms', 'peak RSS MiB', 'RSS vs the working collector\'s', 'what the agent reported (all runs)', 'unaccounted spans (max)'], hangRows)}

Targets:

${targets}
`;
  console.log(section);
  writeResults('pipeline', section);
}

await runMain('pipeline', main);
