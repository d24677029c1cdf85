// HTTP server benchmark: a plain node:http hello world and an express 5 route (GET /users/:id) under autocannon
// (a second process), exporting OTLP http/protobuf to a local sink, with no agent, this agent, the official register
// and dd-trace (reference, sending to a stand-in Datadog agent); prints a table and updates bench/RESULTS.md.
import {
  AGENT_ARGS, DD_ARGS, DD_ENV, FAIR_ENV, OFFICIAL_ARGS, QUICK, TASKSET, checkDist, commandText, fmt, int, makeAppDir, median, progress, progressDone,
  reasons, requireDist, runHeader, runMain, table, writeResults, chooseVariants,
} from './lib/common.mjs';
import { APP_PATHS, LOAD_CPUS, SERVER_CPUS, WARMUP_SECONDS as WARMUP, accounting, serverRun, spansPerRequest } from './lib/http-load.mjs';
import { DdAgentSink } from './lib/dd-agent-sink.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 3);
const SECONDS = Number(process.env.BENCH_SECONDS) || (QUICK ? 2 : 3);
const CONNECTIONS = 10;
// Issue 19's targets for this agent (issue 11's for the sampler off), as shares of the uninstrumented rate.
const TARGET_RATE = { http: 0.6, express: 0.5 };
const TARGET_SAMPLER_OFF = { http: 0.85 };

// The sampler-off rows are references: every instrumentation runs, but no span is recorded or exported, so
// they show what the instrumentations alone cost, and the rest of each agent's cost is recording and exporting.
const SAMPLER_OFF = { ...FAIR_ENV, OTEL_TRACES_SAMPLER: 'always_off' };
// dd-trace has no sampler-off row: with DD_TRACE_SAMPLE_RATE=0 the same spans still reach the agent (tried: the
// calibration counts did not change; the agent, not the tracer, drops unsampled traces), so it is the same work.
const VARIANTS = chooseVariants([
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true, recording: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true, recording: true },
  { name: 'dd-trace', args: DD_ARGS, env: DD_ENV, tracing: true, recording: true, dd: true },
  { name: 'agent, sampler off', args: AGENT_ARGS, env: SAMPLER_OFF, tracing: true, recording: false },
  { name: 'official, sampler off', args: OFFICIAL_ARGS, env: SAMPLER_OFF, tracing: true, recording: false },
], { env: FAIR_ENV, tracing: true, recording: true }, ['none']);
// BENCH_BASELINE_AGENT and BENCH_VARIANTS: see chooseVariants (`none` is always kept: every ratio is against it).
// BENCH_APPS=http keeps one app.
const APPS = process.env.BENCH_APPS ? process.env.BENCH_APPS.split(',') : ['http', 'express'];
const DD_VERSION = createRequire(import.meta.url)('dd-trace/package.json').version;
const APP_TEXT = { http: '`node:http` hello world', express: 'express 5, `GET /users/:id`' };

/** autocannon's latencies are whole milliseconds; a median of an even count may end in .5. */
const ms = (x) => (Number.isInteger(x) ? String(x) : fmt(x, 1));

/** Per app and variant: the runs; `k`: spans per request, per variant. */
function rowsFor(app, k, runs) {
  const none = median(runs.get('none').map((r) => r.rps));
  return VARIANTS.map((v) => {
    const rs = runs.get(v.name);
    const rps = median(rs.map((r) => r.rps));
    const acc = rs.map((r) => ({ ...accounting(r, v.recording ? k.get(v.name) : 0), seconds: r.duration + r.warmupDuration }));
    const perSec = (pick) => median(acc.map((a) => pick(a) / a.seconds));
    const reported = v.name === 'agent';
    const lossCell = !v.recording ? '–' : reported ? int(perSec((a) => a.dropped)) : 'not reported';
    // The official register and dd-trace report nothing: their losses are what was created and never reached the sink.
    const computed = v.recording && !reported ? int(perSec((a) => a.created - a.delivered)) : '–';
    const unaccounted = reported ? acc.reduce((m, a) => Math.max(m, Math.abs(a.unaccounted)), 0) : undefined;
    const undelivered = acc.reduce((m, a) => Math.max(m, a.created - a.delivered), 0);
    return {
      v, rps, ratio: rps / none, p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), unaccounted, undelivered,
      cells: [
        app, v.name, rs.length, v.recording ? k.get(v.name) : '–', int(rps), v.name === 'none' ? '1' : fmt(rps / none, 2), ms(median(rs.map((r) => r.p50))), ms(median(rs.map((r) => r.p99))),
        v.recording ? int(perSec((a) => a.created)) : '–', v.recording ? int(perSec((a) => a.delivered)) : '0', lossCell, computed,
        reported ? String(unaccounted) : '–', reported ? reasons(rs) : '–',
        fmt(median(rs.map((r) => r.cpuMs / 1000)), 1), fmt(median(rs.map((r) => r.rssMiB)), 0), fmt(median(rs.map((r) => r.exitDelayMs)), 0),
      ],
    };
  });
}

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['server.cjs'], links: ['express', 'dd-trace'] });
  const sink = await new OtlpSink().start();
  const ddSink = new DdAgentSink();
  const started = Date.now();
  const runs = new Map(APPS.map((app) => [app, new Map(VARIANTS.map((v) => [v.name, []]))]));
  const k = new Map();
  try {
    // Spans per request, per app and variant, measured at a low rate where nothing is dropped. They differ between
    // tracers (express: one span per middleware layer, or none).
    for (const app of APPS) {
      const ks = new Map();
      for (const v of VARIANTS.filter((x) => x.recording)) ks.set(v.name, await spansPerRequest({ dir, sink, ddSink, variant: v, app }));
      k.set(app, ks);
    }
    // Interleaved: every round runs every app under every variant; the variant order rotates each round.
    for (let round = 0; round < ROUNDS; round++) {
      for (const app of APPS) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + round) % VARIANTS.length];
          progress(`bench/http: round ${round + 1}/${ROUNDS}, ${app}, ${v.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
          runs.get(app).get(v.name).push(await serverRun({ dir, sink, ddSink, variant: v, app, seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS }));
        }
      }
    }
    progressDone();
  } finally {
    await sink.stop();
    await ddSink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);
  if (sink.errors.length) throw new Error(`the sink could not decode: ${sink.errors.slice(0, 3).join('; ')}`);
  if (ddSink.errors.length) throw new Error(`the dd-trace agent sink could not decode: ${ddSink.errors.slice(0, 3).join('; ')}`);
  const ddPaths = [...new Set([...ddSink.paths.values()].flatMap((set) => [...set]))].sort();

  const head = ['app', 'variant', 'n', 'spans per request', 'req/s', 'vs none', 'p50 ms', 'p99 ms', 'spans created/s', 'delivered/s', 'dropped/s (reported)', 'dropped/s (created − delivered)', 'unaccounted spans (max)', 'drop reasons (all runs)', 'CPU s', 'peak RSS MiB', 'exit after last request ms'];
  const all = APPS.map((app) => ({ app, rows: rowsFor(app, k.get(app), runs.get(app)) }));
  const main = table(head, all.flatMap(({ rows }) => rows.map((r) => r.cells)));
  const mark = (ok) => (ok ? '✓' : '✗');
  // A filtered run (BENCH_VARIANTS) lacks the rows the targets compare.
  const targets = process.env.BENCH_VARIANTS ? '(a filtered run: no targets)' : table(
    [
      'app', 'agent req/s vs none (target)', 'agent vs dd-trace req/s (target: ahead)', 'sampler off: agent vs none (target)',
      'every request served is a delivered span', 'every span counted (delivered + reported dropped = created)', 'agent p99 ≤ dd-trace p99', 'agent p99 ≤ official p99',
      'official / dd-trace req/s vs none', 'sampler off, vs none: agent / official', 'recording + exporting keeps, of the sampler-off rate: agent / official',
    ],
    all.map(({ app, rows }) => {
      const row = (name) => rows.find((r) => r.v.name === name);
      const [agent, official, dd, agentOff, officialOff] = ['agent', 'official', 'dd-trace', 'agent, sampler off', 'official, sampler off'].map(row);
      const off = TARGET_SAMPLER_OFF[app];
      return [
        app,
        `${fmt(agent.ratio, 2)} (≥ ${TARGET_RATE[app]}) ${mark(agent.ratio >= TARGET_RATE[app])}`,
        `${fmt(agent.ratio, 2)} vs ${fmt(dd.ratio, 2)} ${mark(agent.rps > dd.rps)}`,
        off ? `${fmt(agentOff.ratio, 2)} (≥ ${off}) ${mark(agentOff.ratio >= off)}` : `${fmt(agentOff.ratio, 2)} (no target)`,
        agent.undelivered === 0 ? '✓ (in every run)' : `✗ (up to ${int(agent.undelivered)} spans not delivered in a run)`,
        agent.unaccounted === 0 ? '✓ (0 unaccounted in every run)' : `✗ (up to ${agent.unaccounted} spans unaccounted in a run)`,
        `${ms(agent.p99)} vs ${ms(dd.p99)} ms ${mark(agent.p99 <= dd.p99)}`,
        `${ms(agent.p99)} vs ${ms(official.p99)} ms ${mark(agent.p99 <= official.p99)}`,
        `${fmt(official.ratio, 2)} / ${fmt(dd.ratio, 2)}`,
        `${fmt(agentOff.ratio, 2)} / ${fmt(officialOff.ratio, 2)}`,
        `${fmt(agent.rps / agentOff.rps, 2)} / ${fmt(official.rps / officialOff.rps, 2)}`,
      ];
    }),
  );
  const spr = APPS.map((app) => `${app}: ${[...k.get(app)].map(([name, n]) => `${name} ${n}`).join(', ')}`).join('; ');
  const endpointOf = (v) => (v.dd ? { DD_TRACE_AGENT_URL: 'http://127.0.0.1:<port of the run>' } : { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:<sink>/<run>' });
  const commands = VARIANTS.map((v) => `# ${v.name}\n${commandText({ ...v.env, ...endpointOf(v), BENCH_APP: 'http|express' }, [...v.args, 'server.cjs'])}`).join('\n');
  const section = `
## HTTP server

Two apps (bench/apps/server.cjs): ${APPS.map((app) => `${APP_TEXT[app]} (\`BENCH_APP=${app}\`, loaded on \`${APP_PATHS[app]}\`)`).join(' and ')},
under autocannon in a second process (bench/lib/load.mjs: ${CONNECTIONS} connections, no pipelining, ${WARMUP} s of warm-up then ${SECONDS} s measured).
The OpenTelemetry rows export OTLP http/protobuf to a sink in the benchmark's process on 127.0.0.1 (bench/lib/otlp-sink.mjs:
decodes each \`ExportTraceServiceRequest\` down to its spans, counts them, answers 200 at once).

dd-trace ${DD_VERSION} is a reference row, loaded as its docs say (\`--import dd-trace/initialize.mjs\`), with its defaults
for tracing (every integration on, express middleware spans included) and everything else off: ${Object.entries(DD_ENV).map(([key, value]) => `\`${key}=${value}\``).join(', ')}.
It sends to a stand-in Datadog agent in the benchmark's process (bench/lib/dd-agent-sink.mjs: one listener per run, as
dd-trace ignores a path in \`DD_TRACE_AGENT_URL\`; decodes each msgpack trace payload and counts its spans; answers 200 at
once, \`{"rate_by_service":{}}\` for traces). Requests it got in this run: ${ddPaths.map((p) => `\`${p}\``).join(', ') || 'none'}.
It has no sampler-off row: with \`DD_TRACE_SAMPLE_RATE=0\` the same spans still reach the agent (the agent, not the
tracer, drops unsampled traces), so it would be the same work; Datadog's tracer has no sampler that skips recording.

${runHeader()}
- Runs: ${ROUNDS} rounds; each round runs every app under every variant (order rotated each round); medians over rounds.
- Cores: ${TASKSET ? `the server (all its threads, an agent's export worker included) is pinned to core ${SERVER_CPUS} and the load generator to core ${LOAD_CPUS}
  (\`taskset\`), so the two do not trade cores from run to run` : 'not pinned (no taskset, or one core)'}.
- Sampler-off rows (\`OTEL_TRACES_SAMPLER=always_off\`) are references: every instrumentation runs and propagates
  context, but no span is recorded or exported. They show what the upstream instrumentations cost by themselves; an
  agent's rate with spans recorded, over its sampler-off rate, is what recording and exporting leave.
- Every run is checked: the server served every request (no errors, non-2xx or timeouts), the app's path with \`?shutdown=1\`
  made it close and the process ended on its own with exit code 0 (the normal exit path, for every variant: the agent flushes on
  \`beforeExit\`, the official register shuts its SDK down on \`beforeExit\`, dd-trace flushes on \`beforeExit\`); the global
  tracer provider is set for the OpenTelemetry agents and not otherwise, dd-trace is loaded (\`global._ddtrace\`) in its row
  only; spans reached a sink for the recording rows and none for the other rows.
- Spans created = requests served (the shutdown request included) × spans per request (${spr}; measured per app and
  variant at a low rate, where nothing is dropped). Delivered = counted at the sink. This agent's drops
  are its own count, parsed from its loss line at exit (\`spans lost for ...: N dropped because the queue was full ...\`;
  no line = nothing lost). The official register and dd-trace do not report drops: their column is created − delivered. Unaccounted =
  created − delivered − reported dropped (this agent; 0 means every span is accounted for).
- req/s and latencies are those of the measured part; the warm-up (JIT, and an agent's lazy start at its first span and
  first export) is not in them. Span counts cover the whole run, warm-up included, so their per-second figures divide by
  the warm-up and the measured part together.
- Per second = per second of load. CPU and peak RSS are the server process's (bench/usage-reporter.cjs).
- Environment: the parent's environment without \`OTEL_*\` / \`DD_*\` / \`NODE_OPTIONS\`; \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\` for
  the other rows, so the official register does not also export metrics (its default); every tracer uses its default batch / flush settings.

\`\`\`sh
${commands}
node bench/lib/load.mjs http://127.0.0.1:<port><path> ${SECONDS} ${CONNECTIONS} load ${WARMUP}   # then GET <path>?shutdown=1${TASKSET ? `\n# servers run under taskset -c ${SERVER_CPUS}, the load generator under taskset -c ${LOAD_CPUS}` : ''}
\`\`\`

${main}

Targets (this agent):

${targets}
`;
  console.log(section);
  writeResults('http', section);
}

await runMain('http', main);
