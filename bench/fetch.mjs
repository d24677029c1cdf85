// HTTP client benchmark (fetch, i.e. undici): a program making fetches to a local node:http server that runs without
// any agent, with no agent, this agent (its own undici instrumentation), the official register and dd-trace
// (reference); the cost is the client's. Prints a table and updates bench/RESULTS.md.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import {
  AGENT_ARGS, DD_ARGS, DD_ENV, FAIR_ENV, OFFICIAL_ARGS, QUICK, REPORTER, TASKSET, checkDist, childEnv, commandText, die, fmt, int,
  makeAppDir, median, progress, progressDone, reasons, requireDist, runHeader, runMain, runNode, table, writeResults,
} from './lib/common.mjs';
import { appRun } from './lib/app-run.mjs';
import { DdAgentSink } from './lib/dd-agent-sink.mjs';
import { LOAD_CPUS, SERVER_CPUS } from './lib/http-load.mjs';
import { OtlpSink } from './lib/otlp-sink.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 1 : 3);
const REQUESTS = QUICK ? 1000 : 5000;
// Fetches before the timed loop, as the HTTP benchmark's 1 s warm-up: one-time costs (this agent loads the SDK at its
// first span, the JIT compiles the hot paths) stay out of the rate, as the official register's startup does.
const WARMUP = QUICK ? 200 : 1000;
const TOTAL = REQUESTS + WARMUP;
const CONCURRENCY = 10;
const TIMEOUT_MS = 120_000;
const DD_VERSION = createRequire(import.meta.url)('dd-trace/package.json').version;

const VARIANTS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false },
  { name: 'agent', args: AGENT_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'official', args: OFFICIAL_ARGS, env: FAIR_ENV, tracing: true },
  { name: 'dd-trace', args: DD_ARGS, env: DD_ENV, tracing: true, dd: true },
];

/** The server, without any agent, on its own core; resolves its URL and a function that ends it. */
async function startServer(dir) {
  let onPort;
  const port = new Promise((resolve) => (onPort = resolve));
  const done = runNode(['--require', REPORTER, 'server.cjs'], {
    cwd: dir,
    cpus: SERVER_CPUS,
    env: childEnv({ BENCH_APP: 'http', BENCH_USAGE_FILE: `${dir}/usage-server.json` }),
    timeoutMs: 30 * 60_000,
    onStdout: (text) => {
      const m = /listening (\d+)/.exec(text);
      if (m) onPort(Number(m[1]));
    },
  });
  const first = await Promise.race([port, done.then(() => undefined)]);
  if (first === undefined) die(`the server ended before listening: ${(await done).stderr}`);
  const url = `http://127.0.0.1:${first}/`;
  const stop = async () => {
    await fetch(`${url}?shutdown=1`).then((res) => res.text());
    const s = await done;
    if (s.code !== 0) die(`the server exited with ${s.code}: ${s.stderr}`);
  };
  return { url, stop };
}

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir({ copy: ['server.cjs', 'fetch-loop.cjs'], links: ['dd-trace'] });
  const sink = await new OtlpSink().start();
  const ddSink = new DdAgentSink();
  const server = await startServer(dir);
  const started = Date.now();
  const runs = new Map(VARIANTS.map((v) => [v.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + round) % VARIANTS.length];
        progress(`bench/fetch: round ${round + 1}/${ROUNDS}, ${v.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        const env = { BENCH_URL: server.url, BENCH_REQUESTS: String(REQUESTS), BENCH_WARMUP: String(WARMUP), BENCH_CONCURRENCY: String(CONCURRENCY) };
        const r = await appRun({ dir, sink, ddSink, variant: v, file: 'fetch-loop.cjs', env, timeoutMs: TIMEOUT_MS, cpus: LOAD_CPUS });
        if (r.timedOut) die(`fetch-loop.cjs, ${v.name}: ran over ${TIMEOUT_MS / 1000} s and was killed`);
        const m = /^fetched (\d+) in ([\d.]+) ms, (\d+) failed$/m.exec(r.stdout);
        if (!m) r.fail(`no "fetched" line: ${JSON.stringify(r.stdout)}`);
        if (Number(m[1]) !== REQUESTS || Number(m[3]) !== 0) r.fail(`fetched ${m[1]}, ${m[3]} failed`);
        // One client span per fetch: delivered, or (this agent) reported lost. dd-trace also traces each new connection.
        const spans = v.dd ? ddSink.names.get(r.key)?.get('http.request') ?? 0 : r.delivered;
        if (v.tracing && spans + r.loss.dropped !== TOTAL) r.fail(`${spans} client spans delivered + ${r.loss.dropped} reported lost, expected ${TOTAL}; ${JSON.stringify([...(ddSink.names.get(r.key) ?? [])])}`);
        runs.get(v.name).push({ ...r, loopMs: Number(m[2]) });
      }
    }
    progressDone();
  } finally {
    await server.stop().catch((err) => console.error(`bench/fetch: stopping the server: ${err.message}`));
    await sink.stop();
    await ddSink.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  checkDist(stamp);
  if (sink.errors.length || ddSink.errors.length) die(`a sink could not decode: ${[...sink.errors, ...ddSink.errors].slice(0, 3).join('; ')}`);

  const med = (name, pick) => median(runs.get(name).map(pick));
  const rate = (name) => med(name, (r) => REQUESTS / (r.loopMs / 1000));
  const rows = VARIANTS.map((v) => [
    v.name, runs.get(v.name).length, fmt(med(v.name, (r) => r.loopMs), 0), int(rate(v.name)), v.name === 'none' ? '1' : fmt(rate(v.name) / rate('none'), 2),
    v.name === 'none' ? '' : fmt(((med(v.name, (r) => r.cpuMs) - med('none', (r) => r.cpuMs)) * 1000) / TOTAL, 1),
    v.tracing ? `${int(med(v.name, (r) => r.delivered))}${v.dd ? ` (last run: ${[...(ddSink.names.get(runs.get(v.name).at(-1).key) ?? [])].map(([n, c]) => `${n} ${int(c)}`).join(', ')})` : ''}` : '0',
    v.name === 'agent' ? reasons(runs.get(v.name)) : '–',
    fmt(med(v.name, (r) => r.cpuMs), 0), fmt(med(v.name, (r) => r.rssMiB), 0),
  ]);
  const text = table(['variant', 'n', `${int(REQUESTS)} fetches, ms`, 'fetches/s', 'vs none', 'client CPU µs per fetch, over none', 'spans at the sink', 'drop reasons (all runs)', 'client CPU ms (with startup)', 'peak RSS MiB'], rows);
  const endpointOf = (v) => (v.dd ? { DD_TRACE_AGENT_URL: 'http://127.0.0.1:<port of the run>' } : { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:<sink>/<run>' });
  const section = `
## HTTP client: fetch (undici)

The agent's own fetch/undici instrumentation (src/instrumentations/undici, through undici's diagnostics channels; the
official register runs upstream's \`@opentelemetry/instrumentation-undici\`): this is what it costs.
bench/apps/fetch-loop.cjs makes ${int(WARMUP)} fetches of a local
\`node:http\` hello world (bench/apps/server.cjs, run once for the whole benchmark with no agent), ${CONCURRENCY} at a time,
each body read, as a warm-up that is not timed (like the HTTP benchmark's 1 s: one-time costs, such as this agent's SDK,
which loads at the first span, and the JIT's compiling, stay out of the rate, as every tracer's startup does); then
${int(REQUESTS)} more, and times those (first request to last answer); then it returns and its process ends on its own.
Every traced fetch is one client span: each run must account for all ${int(TOTAL)} (at the sink, or reported lost
by this agent). dd-trace ${DD_VERSION} (reference) runs with the settings of the HTTP benchmark and sends to its stand-in agent.

${runHeader()}
- Runs: ${ROUNDS} rounds, variants interleaved (order rotated each round); medians over rounds.
- Cores: ${TASKSET ? `the server on core ${SERVER_CPUS}, the client on core ${LOAD_CPUS} (taskset)` : 'not pinned (no taskset, or one core)'}.
- Client CPU per fetch over none = (median client CPU with the variant − without) / ${int(TOTAL)}: it includes each
  tracer's startup, so it overstates the per-fetch cost of the official register (large startup) the most.

\`\`\`sh
${VARIANTS.map((v) => commandText({ ...v.env, ...endpointOf(v), BENCH_URL: 'http://127.0.0.1:<server>/', BENCH_REQUESTS: REQUESTS, BENCH_WARMUP: WARMUP, BENCH_CONCURRENCY: CONCURRENCY }, [...v.args, 'fetch-loop.cjs'])).join('\n')}
\`\`\`

${text}
`;
  console.log(section);
  writeResults('fetch', section);
}

await runMain('fetch', main);
