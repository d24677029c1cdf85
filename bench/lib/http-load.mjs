// One server-under-load run, shared by bench/http.mjs and bench/spans.mjs: start bench/apps/server.cjs with a
// variant's preload, load it from a second process (bench/lib/load.mjs, autocannon), let it end on its own
// after GET /?shutdown=1, then collect: load results, requests served, spans at the sink, the agent's loss line,
// CPU and peak RSS (bench/usage-reporter.cjs), and the time from the shutdown answer to the process's end.
// A variant with `dd: true` is dd-trace: it sends to its own listener of `ddSink` (bench/lib/dd-agent-sink.mjs).
import path from 'node:path';
import { BENCH, REPORTER, ROOT, childEnv, cpuMs, die, parseLossLine, readUsage, rssMiB, runNode } from './common.mjs';

const LOAD = path.join(BENCH, 'lib', 'load.mjs');
// The server (all its threads: an agent's export worker included) gets core 0, the load generator core 1.
export const SERVER_CPUS = '0';
export const LOAD_CPUS = '1';
/** Seconds of unmeasured load before each measured one (JIT, and an agent's lazy start). */
export const WARMUP_SECONDS = 1;
let seq = 0;

/** The path each app is loaded on: the node:http hello world on /, the express app on its route. */
export const APP_PATHS = { http: '/', express: '/users/42' };

/** Checks the usage report against the variant: which tracer is loaded (OpenTelemetry global provider, dd-trace). */
export function tracerProblem(report, variant) {
  const otel = Boolean(variant.tracing && !variant.dd);
  if (report.tracerProvider !== otel) return `global tracer provider ${report.tracerProvider ? 'set' : 'not set'}`;
  if (Boolean(report.ddTrace) !== Boolean(variant.dd)) return `dd-trace ${report.ddTrace ? 'loaded' : 'not loaded'}`;
  return undefined;
}

/** The exporter settings of a run: OTLP to the sink under `key`, or dd-trace to its own listener of `ddSink`. */
export async function exportEnv(variant, key, sink, ddSink) {
  if (!variant.dd) return { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint(key) };
  if (!ddSink) die(`${variant.name}: no dd-trace agent sink`);
  return { DD_TRACE_AGENT_URL: await ddSink.agentUrl(key) };
}

/** Spans a run delivered, at whichever sink its variant sends to; closes dd-trace's per-run listener. */
export async function deliveredSpans(variant, key, sink, ddSink) {
  if (!variant.dd) return sink.count(key);
  await ddSink.close(key);
  return ddSink.count(key);
}

/**
 * variant: { name, args, env, tracing }. mode 'calibrate' sends `seconds` sequential requests instead of a load.
 * Never hangs: the server is killed `seconds + 60` s after its start, the load generator `seconds + 30` s after its.
 */
export async function serverRun({ dir, sink, ddSink, variant, app, childSpans = 0, seconds, warmup = 0, connections = 10, mode = 'load' }) {
  const key = `run-${process.pid}-${seq++}`;
  const usageFile = path.join(dir, `usage-${key}.json`);
  const env = childEnv({
    ...variant.env,
    ...(await exportEnv(variant, key, sink, ddSink)),
    BENCH_APP: app,
    BENCH_CHILD_SPANS: String(childSpans),
    BENCH_USAGE_FILE: usageFile,
  });
  let onPort;
  const port = new Promise((resolve) => (onPort = resolve));
  const server = runNode(['--require', REPORTER, ...variant.args, 'server.cjs'], {
    cwd: dir,
    cpus: SERVER_CPUS,
    env,
    timeoutMs: (mode === 'load' ? seconds + warmup : 10) * 1000 + 60_000,
    onStdout: (text) => {
      const m = /listening (\d+)/.exec(text);
      if (m) onPort(Number(m[1]));
    },
  });
  const first = await Promise.race([port, server.then(() => undefined)]);
  let load;
  if (first !== undefined) {
    const url = `http://127.0.0.1:${first}${APP_PATHS[app]}`;
    load = await runNode([LOAD, url, String(seconds), String(connections), mode, String(warmup)], {
      cwd: ROOT, env: childEnv({}), cpus: LOAD_CPUS, timeoutMs: (mode === 'load' ? seconds + warmup : 10) * 1000 + 30_000,
    });
  }
  const s = await server;
  const report = readUsage(usageFile);
  const what = `${app}${childSpans ? ` with ${childSpans} child spans` : ''}, ${variant.name}`;
  const fail = (problem, r = s) => die(`${what}: ${problem}\n  stderr: ${r.stderr.trim().slice(-2000) || '(empty)'}`);
  if (first === undefined) fail(`the server ended before listening (exit ${s.code}${s.signal ? `, ${s.signal}` : ''})`);
  if (load.timedOut) fail('the load generator ran over its time limit and was killed', load);
  if (load.code !== 0) fail(`the load generator failed (exit ${load.code})`, load);
  if (s.timedOut) fail('the server did not end after GET /?shutdown=1 and was killed');
  if (s.code !== 0) fail(`the server exited with ${s.code}${s.signal ? ` (signal ${s.signal})` : ''}`);
  const served = Number(/served (\d+)/.exec(s.stdout)?.[1]);
  if (!Number.isInteger(served)) fail(`the server did not print "served <n>": ${JSON.stringify(s.stdout)}`);
  const l = JSON.parse(load.stdout.trim().split('\n').pop());
  if (l.shutdownStatus !== 200) fail(`GET /?shutdown=1 answered ${l.shutdownStatus}`);
  if (mode === 'load' && (l.errors || l.non2xx || l.timeouts)) fail(`the load saw ${l.errors} errors, ${l.non2xx} non-2xx answers, ${l.timeouts} timeouts`);
  if (mode === 'load' && l.warmupProblems) fail(`the warm-up saw ${l.warmupProblems} errors, non-2xx answers or timeouts`);
  if (mode === 'calibrate' && l.ok !== seconds) fail(`${l.ok} of ${seconds} calibration requests answered 200`);
  if (!report) fail('the usage reporter wrote nothing');
  const tracer = tracerProblem(report, variant);
  if (tracer) fail(tracer);
  const delivered = await deliveredSpans(variant, key, sink, ddSink);
  if (!variant.tracing && delivered !== 0) fail(`${delivered} spans reached the sink without an agent`);
  // `recording: false` marks a reference row that traces but records nothing (sampler off).
  const exporting = variant.tracing && variant.recording !== false;
  if (exporting && delivered === 0) fail('no span reached the sink');
  if (!exporting && variant.tracing && delivered !== 0) fail(`${delivered} spans reached the sink that exports nothing`);
  return {
    ...l,
    served,
    delivered,
    loss: parseLossLine(s.stderr),
    cpuMs: cpuMs(report),
    rssMiB: rssMiB(report),
    exitDelayMs: s.exitAt - l.shutdownAt,
    stderr: s.stderr,
  };
}

/**
 * Spans per request of an app under a variant, from a calibration run at low rate (sequential requests):
 * sink count / requests served, which must be a whole number, and nothing may be reported lost.
 */
export async function spansPerRequest(opts) {
  // Fewer requests with many child spans: their spans must stay well below one queue (2048).
  const requests = Math.max(3, Math.min(20, Math.floor(1000 / (1 + (opts.childSpans ?? 0)))));
  const r = await serverRun({ ...opts, seconds: requests, mode: 'calibrate' });
  const k = r.delivered / r.served;
  if (r.loss.reported || !Number.isInteger(k)) {
    die(`calibration of ${opts.app} (${opts.variant.name}): ${r.delivered} spans for ${r.served} requests${r.loss.reported ? `; ${r.loss.lines.join(' ')}` : ''}`);
  }
  return k;
}

/** The spans a run created, and where each went: delivered (sink), reported dropped (agent), unaccounted. */
export function accounting(r, k) {
  const created = r.served * k;
  const dropped = r.loss.dropped;
  return { created, delivered: r.delivered, dropped, unaccounted: created - r.delivered - dropped };
}
