// `npm run demo`: the README's main job end to end. Runs the KubeVirt runner example against its simulator with the
// agent writing a trace file (examples/kubevirt-runner/run-example.mjs), then shows that trace with `otel-agent view`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples', 'kubevirt-runner', 'run-example.mjs');
const cli = path.join(root, 'dist', 'cli', 'otel-agent.js');

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(1);
}

if (!existsSync(cli)) fail(`${path.relative(root, cli)} is missing: build first (npm run build; "npm run demo" does it for you)`);
if (!existsSync(example)) {
  fail(`${path.relative(root, example)} does not exist yet. The demo runs that script (it starts the KubeVirt simulator and
      runs the runner with the agent writing the trace file named by TRACE_FILE), then shows the trace.`);
}

// The examples take the trace file from TRACE_FILE (as examples/build-scheduler/run-example.mjs does).
const dir = mkdtempSync(path.join(tmpdir(), 'otel-agent-demo-'));
const traceFile = path.join(dir, 'kubevirt-runner.jsonl');
const html = path.join(dir, 'kubevirt-runner.html');
console.log(`demo: running ${path.relative(root, example)} with the agent; trace file: ${traceFile}\n`);
const run = spawnSync(process.execPath, [example], {
  cwd: path.dirname(example),
  stdio: 'inherit',
  env: { ...process.env, TRACE_FILE: traceFile },
});
if (run.error) fail(`cannot run ${example}: ${run.error.message}`);
if (!existsSync(traceFile) || statSync(traceFile).size === 0) {
  fail(`the example exited with ${run.status ?? run.signal} and wrote no trace to ${traceFile}: run-example.mjs should pass TRACE_FILE on as OTEL_EXPORTER_OTLP_TRACES_FILE`);
}

console.log(`\ndemo: the trace, as \`otel-agent view ${traceFile}\` shows it:\n`);
const view = spawnSync(process.execPath, [cli, 'view', traceFile], { stdio: 'inherit' });
spawnSync(process.execPath, [cli, 'view', traceFile, '--html', html], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`demo: the same as a page with span details: ${html}`);
process.exit(view.status ?? 1);
