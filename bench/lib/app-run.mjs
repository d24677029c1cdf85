// One run of a short program (bench/apps/*.cjs) under a variant, exporting to the sink (or to `endpoint`):
// output, exit, spans at the sink, the agent's loss line, CPU and peak RSS. Shared by spans, child-process, exit.
import path from 'node:path';
import { REPORTER, childEnv, cpuMs, die, parseLossLine, readUsage, rssMiB, runNode } from './common.mjs';

let seq = 0;

export async function appRun({ dir, sink, variant, file, env = {}, endpoint, timeoutMs }) {
  const key = `app-${process.pid}-${seq++}`;
  const usageFile = path.join(dir, `usage-${key}.json`);
  const r = await runNode(['--require', REPORTER, ...variant.args, file], {
    cwd: dir,
    env: childEnv({ ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint ?? sink.endpoint(key), ...env, BENCH_USAGE_FILE: usageFile }),
    timeoutMs,
  });
  const report = readUsage(usageFile);
  const result = { ...r, timedOut: r.timedOut, delivered: sink ? sink.count(key) : 0, loss: parseLossLine(r.stderr), key };
  if (r.timedOut) return result; // the caller reports it
  const fail = (problem) => die(`${file}, ${variant.name}: ${problem}\n  stderr: ${r.stderr.trim().slice(-2000) || '(empty)'}`);
  if (r.code !== 0) fail(`exit code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`);
  if (!report) fail('the usage reporter wrote nothing');
  if (report.tracerProvider !== variant.tracing) fail(`global tracer provider ${report.tracerProvider ? 'set' : 'not set'}`);
  if (!variant.tracing && result.delivered !== 0) fail(`${result.delivered} spans reached the sink without an agent`);
  return { ...result, cpuMs: cpuMs(report), rssMiB: rssMiB(report), fail };
}
