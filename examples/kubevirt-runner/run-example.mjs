#!/usr/bin/env node
// Runs the KubeVirt runner example end to end: starts the Kubernetes API simulator, runs runner.mjs
// with the agent loaded as users load it (NODE_OPTIONS=--import <this repo's agent>), writes the
// trace to a file and prints a summary of its spans.
//
//   npm run example:kubevirt                       # = npm run build && node examples/kubevirt-runner/run-example.mjs
//   node examples/kubevirt-runner/run-example.mjs [--fail] [--no-cut] [--template vm-template-ephemeral] [--phase-ms 300] [--out trace.jsonl]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startSimulator } from './simulator/index.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const register = path.join(repo, 'dist', 'register.js');

const options = { fail: false, cut: true, template: 'vm-template', phaseMs: 300, out: undefined, runner: `runner-${randomBytes(3).toString('hex')}` };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--fail') options.fail = true;
  else if (arg === '--no-cut') options.cut = false;
  else if (arg === '--template') options.template = argv[++i];
  else if (arg === '--phase-ms') options.phaseMs = Number(argv[++i]);
  else if (arg === '--out') options.out = path.resolve(argv[++i]);
  else if (arg === '--runner') options.runner = argv[++i];
  else {
    console.error('usage: run-example.mjs [--fail] [--no-cut] [--template NAME] [--phase-ms MS] [--out FILE] [--runner NAME]');
    process.exit(2);
  }
}
if (!fs.existsSync(register)) {
  console.error(`${path.relative(process.cwd(), register)} is missing: build the agent first (npm run build), or use npm run example:kubevirt`);
  process.exit(1);
}

const traceFile = options.out ?? (process.env.TRACE_FILE ? path.resolve(process.env.TRACE_FILE) : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubevirt-runner-')), 'trace.jsonl'));
fs.rmSync(traceFile, { force: true });
// A made-up JIT config shaped like the real one (base64 JSON); it must not show up in the trace.
const jitConfig = Buffer.from(JSON.stringify({ '.runner': options.runner, '.credentials': randomBytes(24).toString('hex') })).toString('base64');

const sim = await startSimulator({
  phaseMs: options.phaseMs,
  failVmi: options.fail ? options.runner : undefined,
  // Cut the runner's VMI watch after two events, to show a reconnection in the trace.
  cutWatch: options.cut ? { resource: 'virtualmachineinstances', afterEvents: 2, times: 1 } : undefined,
  log: (line) => console.log(`  [simulator] ${line}`),
});
console.log(`Kubernetes API simulator: ${sim.url} (kubeconfig ${sim.kubeconfigPath})`);

/** Wraps the runner's functions in the seed's CreateResources / DeleteResources spans (no code change). */
export const RUNNER_FUNCTION_SPANS =
  `${path.join(here, 'lib', 'runner.mjs')}[createResources=CreateResources(namespace:0.namespace,vmTemplate:1,runnerName:2),` +
  'deleteResources=DeleteResources(namespace:0.namespace,vmiName:1)]';

const env = {};
for (const [k, v] of Object.entries(process.env)) if (!/^(OTEL_|KAR_|NODE_OPTIONS$)/.test(k)) env[k] = v;
Object.assign(env, {
  NODE_OPTIONS: `--import ${pathToFileURL(register).href}`,
  OTEL_SERVICE_NAME: 'kubevirt-actions-runner',
  OTEL_EXPORTER_OTLP_TRACES_FILE: traceFile,
  // TCP and DNS spans would only add noise to this example.
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net,dns',
  // The seed's grouping spans, from the runner's own functions, and one span for the whole run: one trace.
  OTEL_AGENT_PROCESS_SPAN: 'true',
  OTEL_AGENT_PROCESS_SPAN_NAME: 'kubevirt-actions-runner',
  OTEL_AGENT_FUNCTION_SPANS: RUNNER_FUNCTION_SPANS,
});
const args = [path.join(here, 'runner.mjs'), '-t', options.template, '-r', options.runner, '--actions-runner-input-jitconfig', jitConfig, '--kubeconfig', sim.kubeconfigPath];
console.log(`$ NODE_OPTIONS="--import @org/otel-agent" node runner.mjs -t ${options.template} -r ${options.runner} --actions-runner-input-jitconfig <redacted> --kubeconfig ${sim.kubeconfigPath}`);
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => process.stdout.write(prefix(d, '  [runner] ')));
  child.stderr.on('data', (d) => process.stderr.write(prefix(d, '  [runner] ')));
  child.on('close', (c) => resolve(c ?? 1));
});
await sim.close();
console.log(`runner exited with code ${code}`);

function prefix(chunk, p) {
  return String(chunk)
    .split('\n')
    .map((line, i, all) => (line === '' && i === all.length - 1 ? '' : `${p}${line}`))
    .join('\n');
}

// ------------------------------------------------------------------------------------------------
// Summary

if (!fs.existsSync(traceFile)) {
  console.error(`no trace was written to ${traceFile}`);
  process.exit(1);
}
const text = fs.readFileSync(traceFile, 'utf8');
const spans = [];
for (const line of text.split('\n').filter(Boolean)) {
  for (const rs of JSON.parse(line).resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push({ ...span, scope: ss.scope?.name ?? '' });
  }
}
const value = (v) => (v === undefined || v === null ? undefined : (v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue));
const attrs = (list) => Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
const ns = (s) => BigInt(s);
const ids = new Set(spans.map((s) => s.spanId));
const children = new Map();
for (const s of spans) {
  const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : '';
  if (!children.has(parent)) children.set(parent, []);
  children.get(parent).push(s);
}
for (const list of children.values()) list.sort((a, b) => (ns(a.startTimeUnixNano) < ns(b.startTimeUnixNano) ? -1 : 1));
const SHOWN = ['vmiName', 'dataVolumeName', 'phase', 'k8s.object.name', 'kubevirt.vmi.phase', 'http.response.status_code', 'k8s.status.reason', 'k8s.watch.reconnect_count', 'k8s.watch.end_reason', 'url.path'];

console.log(`\nTrace written to ${traceFile} (${spans.length} spans, OTLP JSON lines).\n`);
const print = (span, depth) => {
  const a = attrs(span.attributes);
  const ms = Number(ns(span.endTimeUnixNano) - ns(span.startTimeUnixNano)) / 1e6;
  const details = SHOWN.filter((k) => a[k] !== undefined && !(k === 'k8s.object.name' && (a.vmiName || a.dataVolumeName))).map((k) => `${k}=${a[k]}`);
  const status = span.status?.code === 2 ? '  ERROR' + (span.status.message ? ` (${span.status.message})` : '') : '';
  console.log(`${'  '.repeat(depth)}${span.name}  ${ms.toFixed(1)} ms${status}${details.length ? `  [${details.join(', ')}]` : ''}`);
  for (const event of span.events ?? []) {
    if (event.name === 'k8s.watch.event') continue;
    const ea = attrs(event.attributes);
    console.log(`${'  '.repeat(depth + 2)}* ${event.name} ${Object.entries(ea).map(([k, v]) => `${k}=${v === '' ? '""' : v}`).join(' ')}`);
  }
  for (const child of children.get(span.spanId) ?? []) print(child, depth + 1);
};
for (const root of children.get('') ?? []) print(root, 0);

const resource = attrs(JSON.parse(text.split('\n')[0]).resourceSpans?.[0]?.resource?.attributes);
console.log(`\nservice.name=${resource['service.name']}; JIT config in the trace: ${text.includes(jitConfig) ? 'YES (leak!)' : 'no'}`);
process.exitCode = code;
