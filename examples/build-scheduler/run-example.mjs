// Runs the build scheduler with the agent (no code change: only environment variables), writes the trace to a file and summarizes it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentEnv } from './agent-env.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const register = path.resolve(here, '..', '..', 'dist', 'register.js');
if (!existsSync(register)) {
  console.error(`The agent is not built (${register} is missing): run "npm run build" first.`);
  process.exit(1);
}
const traceFile = process.env.TRACE_FILE ?? path.join(mkdtempSync(path.join(tmpdir(), 'scheduler-trace-')), 'trace.jsonl');

const env = { ...process.env, ...agentEnv(register), OTEL_EXPORTER_OTLP_TRACES_FILE: traceFile };
const run = spawnSync(process.execPath, ['scheduler.mjs', '--workers', '2'], { cwd: here, env, stdio: 'inherit' });

const spans = readFileSync(traceFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .flatMap((line) => JSON.parse(line).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
const counts = new Map();
for (const s of spans) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
console.log(`\nscheduler exited with ${run.status}; ${spans.length} spans in ${new Set(spans.map((s) => s.traceId)).size} trace(s), written to ${traceFile}`);
for (const [name, n] of [...counts].sort()) console.log(`  ${String(n).padStart(3)}  ${name}`);
console.log(`\nSee it: npx otel-agent view ${traceFile}`);
