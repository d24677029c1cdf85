// One run of a short program (bench/apps/*.cjs) under a variant, exporting to the sink (or to `endpoint`; dd-trace
// rows to their own listener of `ddSink`): output, exit, spans at the sink, the agent's loss line, CPU and peak RSS.
// Shared by spans, pipeline, fetch, child-process, exit. `cpus` pins the program (taskset) where possible.
import path from 'node:path';
import { REPORTER, childEnv, cpuMs, die, parseLossLine, readUsage, rssMiB, runNode } from './common.mjs';
import { deliveredSpans, exportEnv, tracerProblem } from './http-load.mjs';

let seq = 0;

export async function appRun({ dir, sink, ddSink, variant, file, env = {}, endpoint, timeoutMs, cpus }) {
  const key = `app-${process.pid}-${seq++}`;
  const usageFile = path.join(dir, `usage-${key}.json`);
  const exporter = endpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } : await exportEnv(variant, key, sink, ddSink);
  const r = await runNode(['--require', REPORTER, ...variant.args, file], {
    cwd: dir,
    env: childEnv({ ...variant.env, ...exporter, ...env, BENCH_USAGE_FILE: usageFile }),
    timeoutMs,
    cpus,
  });
  const report = readUsage(usageFile);
  const delivered = sink || ddSink ? await deliveredSpans(variant, key, sink, ddSink) : 0;
  const result = { ...r, timedOut: r.timedOut, delivered, loss: parseLossLine(r.stderr), key };
  if (r.timedOut) return result; // the caller reports it
  const fail = (problem) => die(`${file}, ${variant.name}: ${problem}\n  stderr: ${r.stderr.trim().slice(-2000) || '(empty)'}`);
  if (r.code !== 0) fail(`exit code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`);
  if (!report) fail('the usage reporter wrote nothing');
  const tracer = tracerProblem(report, variant);
  if (tracer) fail(tracer);
  if (!variant.tracing && result.delivered !== 0) fail(`${result.delivered} spans reached the sink without an agent`);
  return { ...result, cpuMs: cpuMs(report), rssMiB: rssMiB(report), fail };
}
