// Context across processes: TRACEPARENT in, the process span, function spans by configuration, worker threads.
import { describe, expect, it } from 'vitest';
import { type ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';

const receiver = sharedReceiver();

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const env = (extra: Record<string, string> = {}) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, ...extra });
const byName = (spans: ReceivedSpan[], name: string) => {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(', ')}`);
  return span;
};

const WORK_CJS = `
const { trace } = require('@opentelemetry/api');
trace.getTracer('app').startSpan('work').end();
console.log('done');
process.exitCode = Number(process.env.EXIT_CODE ?? 0);
`;

describe('TRACEPARENT from the environment', () => {
  it('becomes the parent of the process span, which is the parent of the program\'s spans', async () => {
    const run = await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ TRACEPARENT, TRACESTATE: 'vendor=x', BAGGAGE: 'team=ci' }) });
    expect(run.stderr).toBe('');
    const spans = await receiver.waitForSpans((s) => s.length >= 2);
    const processSpan = byName(spans, 'tool.cjs');
    const work = byName(spans, 'work');
    expect(processSpan.traceId).toBe(TRACE_ID);
    expect(processSpan.parentSpanId).toBe(PARENT_ID);
    expect(work.traceId).toBe(TRACE_ID);
    expect(work.parentSpanId).toBe(processSpan.spanId);
    expect(processSpan.attributes['process.exit.code']).toBe(0);
    expect(processSpan.attributes['process.pid']).toBeTypeOf('number');
    expect(processSpan.status.code).toBe(0);
  });

  it('the process span carries a non-zero exit code as an error, and can be named', async () => {
    await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ TRACEPARENT, EXIT_CODE: '3', OTEL_AGENT_PROCESS_SPAN_NAME: 'scheduler.main' }) });
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'scheduler.main'));
    const main = byName(spans, 'scheduler.main');
    expect(main.attributes['process.exit.code']).toBe(3);
    expect(main.attributes['error.type']).toBe('3');
    expect(main.status.code).toBe(2);
  });

  it('OTEL_AGENT_PROCESS_SPAN=false: the program\'s spans join the inherited trace directly', async () => {
    await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ TRACEPARENT, OTEL_AGENT_PROCESS_SPAN: 'false' }) });
    const [work] = await receiver.waitForSpans((s) => s.length >= 1);
    expect(work.name).toBe('work');
    expect(work.parentSpanId).toBe(PARENT_ID);
    expect(work.traceId).toBe(TRACE_ID);
  });

  it('OTEL_AGENT_PROCESS_SPAN=true without TRACEPARENT: one trace rooted at the process span', async () => {
    await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ OTEL_AGENT_PROCESS_SPAN: 'true' }) });
    const spans = await receiver.waitForSpans((s) => s.length >= 2);
    const processSpan = byName(spans, 'tool.cjs');
    expect(processSpan.parentSpanId).toBeUndefined();
    expect(byName(spans, 'work').parentSpanId).toBe(processSpan.spanId);
  });

  it('an invalid TRACEPARENT: one warning, a new trace', async () => {
    const run = await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ TRACEPARENT: '00-zzzz-1234-01' }) });
    expect(run.stderr).toBe('[otel-agent] warning: TRACEPARENT="00-zzzz-1234-01" is not a valid W3C traceparent; it is ignored\n');
    expect(run.stdout).toBe('done\n');
    const [work] = await receiver.waitForSpans((s) => s.length >= 1);
    expect(work.name).toBe('work');
    expect(work.parentSpanId).toBeUndefined();
  });

  it('an incoming server request still starts its own trace', async () => {
    const app = `
const http = require('http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const req = http.request({ port: server.address().port, host: '127.0.0.1', path: '/in', headers: {} }, (res) => { res.resume(); res.on('end', () => server.close()); });
  req.end();
});`;
    await runApp({ files: { 'srv.cjs': app }, entry: 'srv.cjs', env: env({ TRACEPARENT, OTEL_AGENT_PROCESS_SPAN: 'false', OTEL_PROPAGATORS: 'none' }) });
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.kind === 2));
    const server = spans.find((s) => s.kind === 2)!;
    const client = spans.find((s) => s.kind === 3)!;
    expect(client.traceId).toBe(TRACE_ID);
    expect(server.traceId).not.toBe(TRACE_ID);
  });
});

describe('function spans by configuration', () => {
  const LIB_ESM = `
export async function createResources(vmTemplate, runnerName, namespace, jitconfig) { await new Promise((r) => setImmediate(r)); return runnerName + '-vmi'; }
export function deleteResources(vmiName) { if (vmiName === 'missing') throw new Error('not found: ' + vmiName); return 'deleted ' + vmiName; }
export async function failLater() { throw new Error('rejected later'); }
export class Scheduler { build(pkg) { return 'built ' + pkg.name; } }
`;
  const MAIN_ESM = `
import { createResources, deleteResources, failLater, Scheduler } from './lib/runner.mjs';
const vmi = await createResources('tmpl', 'runner-1', 'ns', 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0c2VjcmV0c2VjcmV0.c2lnbmF0dXJl');
console.log(vmi, deleteResources(vmi));
try { deleteResources('missing'); } catch (e) { console.log('caught', e.message); }
await failLater().catch((e) => console.log('rejected', e.message));
console.log(new Scheduler().build({ name: 'curl' }));
`;
  const SPEC = (file: string) =>
    `${file}[createResources=CreateResources(vmTemplate,runnerName,namespace,jitconfig),deleteResources=DeleteResources(vmiName),failLater,Scheduler.prototype.build=scheduler.build(package.name:0.name),noSuchFunction]`;

  it.each([
    ['ESM', 'main.mjs', MAIN_ESM, 'lib/runner.mjs', LIB_ESM],
    [
      'CJS',
      'main.cjs',
      `(async () => {\n${MAIN_ESM.replace("import { createResources, deleteResources, failLater, Scheduler } from './lib/runner.mjs';", "const { createResources, deleteResources, failLater, Scheduler } = require('./lib/runner.cjs');")}\n})();`,
      'lib/runner.cjs',
      LIB_ESM.replace(/export (async )?function (\w+)/g, 'exports.$2 = $1function $2').replace('export class Scheduler', 'exports.Scheduler = class Scheduler'),
    ],
  ])('%s: sync, async, throwing and rejecting functions and a method', async (_kind, entry, main, libPath, lib) => {
    const [withAgent, without] = await Promise.all([
      runApp({ files: { [entry]: main, [libPath]: lib }, entry, env: env({ OTEL_AGENT_FUNCTION_SPANS: SPEC(`./${libPath}`) }) }),
      runApp({ files: { [entry]: main, [libPath]: lib }, entry, preload: 'none' }),
    ]);
    expect(withAgent.stdout).toBe(without.stdout);
    expect(withAgent.stdout).toBe('runner-1-vmi deleted runner-1-vmi\ncaught not found: missing\nrejected rejected later\nbuilt curl\n');
    expect(withAgent.stderr).toBe(`[otel-agent] warning: OTEL_AGENT_FUNCTION_SPANS: ./${libPath} has no exported function "noSuchFunction"; it is not traced\n`);
    const spans = await receiver.waitForSpans((s) => s.length >= 5);
    const create = byName(spans, 'CreateResources');
    expect(create.attributes).toMatchObject({ vmTemplate: 'tmpl', runnerName: 'runner-1', namespace: 'ns', jitconfig: '<redacted>', 'code.function.name': 'createResources' });
    const deletes = spans.filter((s) => s.name === 'DeleteResources');
    expect(deletes.map((s) => [s.attributes.vmiName, s.status.code])).toEqual(expect.arrayContaining([['runner-1-vmi', 0], ['missing', 2]]));
    const failed = byName(spans, 'failLater');
    expect(failed.status).toEqual({ code: 2, message: 'rejected later' });
    expect(failed.events.map((e) => e.name)).toEqual(['exception']);
    expect(byName(spans, 'scheduler.build').attributes['package.name']).toBe('curl');
    expect(JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('c2VjcmV0');
  });

  it('a module that is not there (a file or a package): one warning naming it at start, the program unchanged', async () => {
    const run = await runApp({
      // mylib is installed but not loaded in this run: that is no mistake, and gets no warning.
      files: { 'main.cjs': `console.log(require('./lib.cjs').ok());`, 'lib.cjs': `exports.ok = () => 'ok';`, 'node_modules/mylib/index.js': `exports.go = () => 1;` },
      entry: 'main.cjs',
      env: env({ OTEL_AGENT_FUNCTION_SPANS: './lib.cjs[ok];./lib/runer[run];no-such-package-xyz[go];mylib[go]' }),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('ok\n');
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^\[otel-agent\] warning: OTEL_AGENT_FUNCTION_SPANS: \.\/lib\/runer was not found \(no file \/.*\/lib\/runer \(nor with \.js, \.cjs, \.mjs or \/index\.js\)\); it is not traced$/),
      '[otel-agent] warning: OTEL_AGENT_FUNCTION_SPANS: no-such-package-xyz was not found (no such package in node_modules above the working directory or the main script); it is not traced',
    ]);
  });

  it('a malformed specification: one warning naming it, the valid parts still apply', async () => {
    const lib = `exports.ok = () => 'ok';`;
    const run = await runApp({
      files: { 'main.cjs': `console.log(require('./lib.cjs').ok());`, 'lib.cjs': lib },
      entry: 'main.cjs',
      env: env({ OTEL_AGENT_FUNCTION_SPANS: './lib.cjs[ok=Fine, bad name=(];garbage' }),
    });
    expect(run.stdout).toBe('ok\n');
    const warnings = run.stderr.trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('OTEL_AGENT_FUNCTION_SPANS: in ./lib.cjs:');
    expect(warnings[1]).toContain('"garbage" is not of the form module[function,...]');
    await receiver.waitForSpans((s) => s.some((x) => x.name === 'Fine'));
  });
});

describe('worker threads', () => {
  it('spans in a worker nest under the span that created the Worker', async () => {
    const main = `
import { Worker } from 'node:worker_threads';
import { trace } from '@opentelemetry/api';
await trace.getTracer('t').startActiveSpan('spawn-worker', async (span) => {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url));
  await new Promise((resolve) => worker.on('exit', resolve));
  span.end();
});
`;
    const worker = `import { trace } from '@opentelemetry/api'; trace.getTracer('w').startSpan('in-worker').end();`;
    const run = await runApp({ files: { 'main.mjs': main, 'worker.mjs': worker }, entry: 'main.mjs', packages: ['@opentelemetry/api'], env: env() });
    expect(run.stderr).toBe('');
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'in-worker') && s.some((x) => x.name === 'spawn-worker'));
    const parent = byName(spans, 'spawn-worker');
    const child = byName(spans, 'in-worker');
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
  });
});

describe('the configured propagators carry the context across processes', () => {
  const PARENT = `
const { spawn } = require('child_process');
const child = spawn(process.execPath, ['child.cjs'], { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('exit', (code) => console.log('child exit', code));
`;
  const CHILD = `
const { trace } = require('@opentelemetry/api');
console.log('env', JSON.stringify(Object.keys(process.env).filter((k) => /^(TRACEPARENT|TRACESTATE|B3|X_B3_.*)$/.test(k)).sort()));
trace.getTracer('child').startSpan('child-work').end();
`;

  it.each([
    ['b3', ['B3']],
    ['b3multi', ['X_B3_SAMPLED', 'X_B3_SPANID', 'X_B3_TRACEID']],
  ])('OTEL_PROPAGATORS=%s: a Node child with the agent joins the parent\'s trace under the spawn span', async (propagators, keys) => {
    const run = await runApp({
      files: { 'parent.cjs': PARENT, 'child.cjs': CHILD },
      entry: 'parent.cjs',
      packages: ['@opentelemetry/api'],
      preload: 'node-options-import',
      env: env({ OTEL_PROPAGATORS: propagators }),
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`env ${JSON.stringify(keys)}\nchild exit 0\n`);
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'child-work') && s.some((x) => x.kind === 3));
    const spawnSpan = spans.find((s) => s.kind === 3 && s.attributes['process.executable.name'] === 'node')!;
    const processSpan = byName(spans, 'child.cjs');
    expect(processSpan.traceId).toBe(spawnSpan.traceId);
    expect(processSpan.parentSpanId).toBe(spawnSpan.spanId);
    expect(byName(spans, 'child-work').parentSpanId).toBe(processSpan.spanId);
  });

  it.each([
    ['an oversized B3', { B3: `${TRACE_ID}-${PARENT_ID}-1`.padEnd(9000, '0') }, '[otel-agent] warning: B3 is longer than 8192 characters; ignored\n'],
    ['a garbage B3', { B3: 'garbage-value' }, '[otel-agent] warning: B3="garbage-value" is not a valid trace context (propagators: tracecontext,baggage,b3); it is ignored\n'],
    [
      'X_B3_* with a control character',
      { X_B3_TRACEID: `${TRACE_ID}\u001b`, X_B3_SPANID: PARENT_ID },
      `[otel-agent] warning: X_B3_TRACEID="${TRACE_ID}?" contains control characters; X_B3_SPANID="${PARENT_ID}" is not a valid trace context (propagators: tracecontext,baggage,b3); it is ignored\n`,
    ],
  ])('%s is ignored: one warning, a new trace', async (_what, extra, warning) => {
    const run = await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ OTEL_PROPAGATORS: 'b3', ...extra }) });
    expect(run.stderr).toBe(warning);
    expect(run.stdout).toBe('done\n');
    const [work] = await receiver.waitForSpans((s) => s.length >= 1);
    expect(work.name).toBe('work');
    expect(work.traceId).not.toBe(TRACE_ID);
    expect(work.parentSpanId).toBeUndefined();
  });

  it('a valid B3 from the environment is the parent', async () => {
    const run = await runApp({ files: { 'tool.cjs': WORK_CJS }, entry: 'tool.cjs', packages: ['@opentelemetry/api'], env: env({ OTEL_PROPAGATORS: 'b3', B3: `${TRACE_ID}-${PARENT_ID}-1` }) });
    expect(run.stderr).toBe('');
    const spans = await receiver.waitForSpans((s) => s.length >= 2);
    expect(byName(spans, 'tool.cjs')).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID });
  });
});
