// HTTP server benchmark: a plain node:http server and an express 5 app under autocannon (a second process),
// exporting OTLP http/protobuf to a local sink, with no agent, this agent and the official register;
// prints a table and updates bench/RESULTS.md.
import {
  AGENT_ARGS, FAIR_ENV, OFFICIAL_ARGS, QUICK, TASKSET, checkDist, commandText, fmt, int, makeAppDir, median, progress, progressDone,
  reasons, requireDist, runHeader, runMain, table, writeResults,
} from './lib/common.mjs';
import { LOAD_CPUS, SERVER_CPUS, WARMUP_SECONDS as WARMUP, accounting, serverRun, spansPerRequest } from './lib/http-load.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';
import fs from 'node:fs';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 4);
const SECONDS = Number(process.env.BENCH_SECONDS) || (QUICK ? 2 : 3);
const CONNECTIONS = 10;
const TARGET_RATE = 0.6;

// The sampler-off rows are references: every instrumentation runs, but no span is recorded or exported, so
// they show what the instrumentations alone cost, and the rest of each agent's cost is recording and exporting.
const SAMPLER_OFF = { ...FAIR_ENV, OTEL_TRACES_SAMPLER: 'always_off' };
const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true, recording: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true, recording: true },
  { name: 'agent, sampler off', args: AGENT_ARGS, env: SAMPLER_OFF, tracing: true, recording: false },
  { name: 'official, sampler off', args: OFFICIAL_ARGS, env: SAMPLER_OFF, tracing: true, recording: false },
];
const APPS = ['http', 'express'];

/** autocannon's latencies are whole milliseconds; a median of an even count may end in .5. */
const ms = (x) => (Number.isInteger(x) ? String(x) : fmt(x, 1));

/** Per app and variant: the runs; per app: spans per request. */
function rowsFor(app, k, runs) {
  const none = median(runs.get('none').map((r) => r.rps));
  return VARIANTS.map((v) => {
    const rs = runs.get(v.name);
    const rps = median(rs.map((r) => r.rps));
    const acc = rs.map((r) => ({ ...accounting(r, v.recording ? k.get(v.name) : 0), seconds: r.duration + r.warmupDuration }));
    const perSec = (pick) => median(acc.map((a) => pick(a) / a.seconds));
    const reported = v.name === 'agent';
    const lossCell = !v.recording ? '–' : reported ? int(perSec((a) => a.dropped)) : 'not reported';
    // The official register reports nothing: its losses are what was created and never reached the sink.
    const computed = v.name === 'official' ? int(perSec((a) => a.created - a.delivered)) : '–';
    const unaccounted = reported ? acc.reduce((m, a) => Math.max(m, Math.abs(a.unaccounted)), 0) : undefined;
    return {
      v, rps, ratio: rps / none, p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), unaccounted,
      cells: [
        app, v.name, rs.length, int(rps), v.name === 'none' ? '1' : fmt(rps / none, 2), ms(median(rs.map((r) => r.p50))), ms(median(rs.map((r) => r.p99))),
        v.recording ? int(perSec((a) => a.created)) : '–', v.recording ? int(perSec((a) => a.delivered)) : '0', lossCell, computed,
        reported ? String(unaccounted) : '–', reported ? reasons(rs) : '–',
        fmt(median(rs.map((r) => r.cpuMs / 1000)), 1), fmt(median(rs.map((r) => r.rssMiB)), 0), fmt(median(rs.map((r) => r.exitDelayMs)), 0),
      ],
    };
  });
}

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['server.cjs'], links: ['express'] });
  const sink = await new OtlpSink().start();
  const started = Date.now();
  const runs = new Map(APPS.map((app) => [app, new Map(VARIANTS.map((v) => [v.name, []]))]));
  const k = new Map();
  try {
    // Spans per request per agent, measured at a low rate where nothing is dropped. They may differ: the agent
    // makes no span per express middleware by default (OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS), the official register does.
    for (const app of APPS) {
      const ks = new Map();
      for (const v of VARIANTS.filter((x) => x.recording)) ks.set(v.name, await spansPerRequest({ dir, sink, variant: v, app }));
      k.set(app, ks);
    }
    // Interleaved: every round runs every app under every variant; the variant order rotates each round.
    for (let round = 0; round < ROUNDS; round++) {
      for (const app of APPS) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + round) % VARIANTS.length];
          progress(`bench/http: round ${round + 1}/${ROUNDS}, ${app}, ${v.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
          runs.get(app).get(v.name).push(await serverRun({ dir, sink, variant: v, app, seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS }));
        }
      }
    }
    progressDone();
  } finally {
    await sink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);
  if (sink.errors.length) throw new Error(`the sink could not decode: ${sink.errors.slice(0, 3).join('; ')}`);

  const head = ['app', 'variant', 'n', 'req/s', 'vs none', 'p50 ms', 'p99 ms', 'spans created/s', 'delivered/s', 'dropped/s (reported)', 'dropped/s (created − delivered)', 'unaccounted spans (max)', 'drop reasons (all runs)', 'CPU s', 'peak RSS MiB', 'exit after last request ms'];
  const all = APPS.map((app) => ({ app, rows: rowsFor(app, k.get(app), runs.get(app)) }));
  const main = table(head, all.flatMap(({ rows }) => rows.map((r) => r.cells)));
  const targets = table(
    [
      'app', `agent req/s ≥ ${TARGET_RATE} × none`, 'every span counted (delivered + reported dropped = created)', 'agent p99 ≤ official p99',
      'official req/s vs none', 'sampler off, vs none: agent / official', 'recording + exporting keeps, of the sampler-off rate: agent / official',
    ],
    all.map(({ app, rows }) => {
      const [, agent, official, agentOff, officialOff] = rows;
      return [
        app,
        `${fmt(agent.ratio, 2)} ${agent.ratio >= TARGET_RATE ? '✓' : '✗'}`,
        agent.unaccounted === 0 ? '✓ (0 unaccounted in every run)' : `✗ (up to ${agent.unaccounted} spans unaccounted in a run)`,
        `${ms(agent.p99)} vs ${ms(official.p99)} ms ${agent.p99 <= official.p99 ? '✓' : '✗'}`,
        fmt(official.ratio, 2),
        `${fmt(agentOff.ratio, 2)} / ${fmt(officialOff.ratio, 2)}`,
        `${fmt(agent.rps / agentOff.rps, 2)} / ${fmt(official.rps / officialOff.rps, 2)}`,
      ];
    }),
  );
  const spr = APPS.map((app) => `${app} ${[...k.get(app)].map(([name, n]) => `${n} (${name})`).join(' / ')}`).join(', ');
  const commands = VARIANTS.map((v) => `# ${v.name}\n${commandText({ ...v.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:<sink>/<run>', BENCH_APP: 'http|express' }, [...v.args, 'server.cjs'])}`).join('\n');
  const section = `
## HTTP server

A plain \`node:http\` server and an express 5 app (bench/apps/server.cjs: \`GET /\` answers "hello world") under
autocannon in a second process (bench/lib/load.mjs: ${CONNECTIONS} connections, no pipelining, ${WARMUP} s of warm-up then ${SECONDS} s measured), exporting
OTLP http/protobuf to a sink in the benchmark's process on 127.0.0.1 (bench/lib/otlp-sink.mjs: decodes each
\`ExportTraceServiceRequest\` down to its spans, counts them, answers 200 at once).

${runHeader()}
- Runs: ${ROUNDS} rounds; each round runs every app under every variant (order rotated each round); medians over rounds.
- Cores: ${TASKSET ? `the server (all its threads, an agent's export worker included) is pinned to core ${SERVER_CPUS} and the load generator to core ${LOAD_CPUS}
  (\`taskset\`), so the two do not trade cores from run to run` : 'not pinned (no taskset, or one core)'}.
- Sampler-off rows (\`OTEL_TRACES_SAMPLER=always_off\`) are references: every instrumentation runs and propagates
  context, but no span is recorded or exported. They show what the upstream instrumentations cost by themselves; an
  agent's rate with spans recorded, over its sampler-off rate, is what recording and exporting leave.
- Every run is checked: the server served every request (no errors, non-2xx or timeouts), \`GET /?shutdown=1\` made it close
  and the process ended on its own with exit code 0 (the normal exit path, for every variant: the agent flushes on
  \`beforeExit\`, the official register shuts its SDK down on \`beforeExit\`); the global tracer provider is set for the
  agents and not for \`none\`; spans reached the sink for the recording agents and none for the other rows.
- Spans created = requests served (the shutdown request included) × spans per request (${spr}; measured per app at a low
  rate, where nothing is dropped, and the same for both agents). Delivered = counted at the sink. This agent's drops
  are its own count, parsed from its loss line at exit (\`spans lost for ...: N dropped because the queue was full ...\`;
  no line = nothing lost). The official register does not report drops: its column is created − delivered. Unaccounted =
  created − delivered − reported dropped (this agent; 0 means every span is accounted for).
- req/s and latencies are those of the measured part; the warm-up (JIT, and an agent's lazy start at its first span and
  first export) is not in them. Span counts cover the whole run, warm-up included, so their per-second figures divide by
  the warm-up and the measured part together.
- Per second = per second of load. CPU and peak RSS are the server process's (bench/usage-reporter.cjs).
- Environment: the parent's environment without \`OTEL_*\` / \`NODE_OPTIONS\`; \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\` for every row,
  so the official register does not also export metrics (its default); both agents use their default batch settings.

\`\`\`sh
${commands}
node bench/lib/load.mjs http://127.0.0.1:<port>/ ${SECONDS} ${CONNECTIONS} load ${WARMUP}   # then GET /?shutdown=1${TASKSET ? `\n# servers run under taskset -c ${SERVER_CPUS}, the load generator under taskset -c ${LOAD_CPUS}` : ''}
\`\`\`

${main}

Targets (this agent):

${targets}
`;
  console.log(section);
  writeResults('http', section);
}

await runMain('http', main);
