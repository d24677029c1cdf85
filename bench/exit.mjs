// Exit benchmark with the collector unreachable: time from a program's last line to the end of its process,
// with spans pending at exit, for no agent, this agent and the official register (fair and defaults), against a
// collector that refuses connections and one that accepts and never answers; prints a table and updates bench/RESULTS.md.
import fs from 'node:fs';
import {
  AGENT_ARGS, FAIR_ENV, OFFICIAL_ARGS, QUICK, checkDist, commandText, fmt, makeAppDir, median, p90, progress, progressDone,
  requireDist, runHeader, runMain, table, writeResults,
} from './lib/common.mjs';
import { appRun } from './lib/app-run.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 3);
const OFFICIAL_ROUNDS = Math.min(ROUNDS, 2);
const PENDING = 100;
const TIMEOUT_MS = 60_000;

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true, bound: 2000 },
  { name: 'agent, OTEL_AGENT_FLUSH_TIMEOUT=500', args: AGENT_ARGS, env: { ...FAIR_ENV, OTEL_AGENT_FLUSH_TIMEOUT: '500' }, tracing: true, bound: 500 },
  // 8 to 10 s a run: fewer rounds.
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true, rounds: OFFICIAL_ROUNDS },
  { name: 'official (defaults)', args: OFFICIAL_ARGS, env: {}, tracing: true, rounds: OFFICIAL_ROUNDS },
];

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['exit-pending.cjs'] });
  const silent = await new OtlpSink().start();
  silent.mode = 'hang';
  const sink = await new OtlpSink().start();
  const SCENARIOS = [
    { name: 'answers', text: 'a working collector (a local sink that answers 200 at once): the cost of the final flush itself', endpoint: (key) => sink.endpoint(key), reachable: true },
    { name: 'refused', text: 'connection refused (`http://127.0.0.1:9`, nothing listens)', endpoint: () => 'http://127.0.0.1:9' },
    { name: 'no answer', text: 'accepts and never answers (a local server that reads each request and never responds)', endpoint: (key) => silent.endpoint(key) },
  ];
  const started = Date.now();
  const runs = new Map(SCENARIOS.map((s) => [s.name, new Map(VARIANTS.map((v) => [v.name, { samples: [], failure: undefined }]))]));
  let seq = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const sc of SCENARIOS) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + round) % VARIANTS.length];
          const slot = runs.get(sc.name).get(v.name);
          if (slot.failure || round >= (v.rounds ?? ROUNDS)) continue;
          progress(`bench/exit: round ${round + 1}/${ROUNDS}, ${sc.name}, ${v.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
          const key = `exit-${seq++}`;
          const r = await appRun({ dir, variant: v, file: 'exit-pending.cjs', endpoint: sc.endpoint(key), env: { BENCH_PENDING: String(PENDING) }, timeoutMs: TIMEOUT_MS });
          silent.releaseHung();
          if (r.timedOut) {
            slot.failure = `killed after ${TIMEOUT_MS / 1000} s`;
            console.error(`\nbench/exit: ${sc.name}, ${v.name} ran over ${TIMEOUT_MS / 1000} s and was killed; dropping it`);
            continue;
          }
          const last = Number(/^last-line ([\d.]+)$/m.exec(r.stdout)?.[1]);
          if (!Number.isFinite(last)) r.fail(`no "last-line" on stdout: ${JSON.stringify(r.stdout)}`);
          // The spans really were pending: this agent counts them in its loss line, as not accepted (a refusing
          // collector fails the final flush at once) or as undelivered (one that never answers).
          if (!sc.reachable && v.bound && r.loss.undelivered + r.loss.refused !== PENDING) r.fail(`expected "${PENDING} not accepted" or "${PENDING} undelivered" in the loss line, got ${r.loss.lines.join(' ') || 'none'}`);
          // With a working collector every span arrives, for both agents, and this agent reports no loss.
          if (sc.reachable && v.tracing && sink.count(key) !== PENDING) r.fail(`${sink.count(key)} of ${PENDING} spans reached the sink`);
          if (sc.reachable && r.loss.reported) r.fail(`a loss was reported with a working collector: ${r.loss.lines.join(' ')}`);
          slot.samples.push({ afterLastMs: r.exitAt - last, wallMs: r.wallMs, exports: silent.requests.get(key) ?? 0, delivered: sink.count(key), stderr: r.stderr });
        }
      }
    }
    progressDone();
  } finally {
    await silent.stop();
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);

  const rows = SCENARIOS.flatMap((sc) => {
    const none = median(runs.get(sc.name).get('none').samples.map((s) => s.afterLastMs));
    return VARIANTS.map((v) => {
      const { samples, failure } = runs.get(sc.name).get(v.name);
      if (failure) return [sc.name, v.name, samples.length, failure, '', '', '', '', ''];
      const xs = samples.map((s) => s.afterLastMs);
      const m = median(xs);
      return [
        sc.name, v.name, samples.length, `${fmt(m, 0)} (${fmt(p90(xs), 0)})`, v.name === 'none' ? '' : fmt(m - none, 0, true), fmt(median(samples.map((s) => s.wallMs)), 0),
        v.bound && !sc.reachable ? `${v.bound} ms: ${fmt(m - none - v.bound, 0, true)} ms` : '',
        sc.name === 'no answer' ? String(median(samples.map((s) => s.exports))) : '–',
        !v.tracing ? '–' : sc.reachable ? `${median(samples.map((s) => s.delivered))} delivered${v.bound ? ', no loss line' : ''}` : v.bound ? `${PENDING} lost (loss line)` : 'nothing',
      ];
    });
  });
  const text = table(['collector', 'variant', 'n', 'last line → process end, ms median (p90)', 'added over none, ms', 'wall ms (spawn → end)', 'OTEL_AGENT_FLUSH_TIMEOUT: added time beyond it', 'export requests the collector got', 'what happened to the pending spans'], rows);
  const section = `
## Exit: with a working collector, and with the collector unreachable

bench/apps/exit-pending.cjs ends ${PENDING} spans (\`@opentelemetry/api\`), prints \`last-line <epoch ms>\` and returns: its event loop drains
with the spans still waiting for export (both agents' batch processors export every 5 s). Measured: from the timestamp on
that line to the child's \`'exit'\` in the benchmark (both \`performance.timeOrigin + performance.now()\`).

${runHeader()}
- Runs: ${ROUNDS} rounds (${OFFICIAL_ROUNDS} for the official register's rows), variants interleaved (order rotated each round); medians; a run over ${TIMEOUT_MS / 1000} s would be killed and reported.
- Collectors: ${SCENARIOS.map((s) => `**${s.name}**: ${s.text}`).join('; ')}.
- Checks: exit code 0, the last line printed, tracer provider set only for the agents. With the working collector all
  ${PENDING} spans reach it, for both agents, and this agent reports no loss. With the unreachable ones this agent's loss
  line counts exactly ${PENDING} spans lost at exit (not accepted, or undelivered) (so they really were pending); the official register says nothing about them.
- \`official\` sets \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\` (as do \`none\` and the agent rows); \`official (defaults)\`
  is what its users get (metrics and logs exporters on).

\`\`\`sh
${VARIANTS.map((v) => commandText({ ...v.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', BENCH_PENDING: PENDING }, [...v.args, 'exit-pending.cjs'])).join('\n')}
\`\`\`

${text}
`;
  console.log(section);
  writeResults('exit', section);
}

await runMain('exit', main);
