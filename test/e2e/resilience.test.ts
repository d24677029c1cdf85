// The collector misbehaves, the queue overflows, a path is unwritable, every variable is bad: the program runs on, losses are reported.
import { describe, expect, it } from 'vitest';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';

const receiver = sharedReceiver();

const warningsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('[otel-agent]'));

describe('losses are counted and reported once', () => {
  it('a full queue: the overflow is dropped, counted, and named with its variable', async () => {
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('burst');
for (let i = 0; i < 100; i++) tracer.startSpan('burst-' + i).end();
console.log('done');
`;
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', packages: ['@opentelemetry/api'], env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('done\n');
    const warnings = warningsOf(run.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`spans lost for OTLP http/protobuf ${receiver.httpUrl}/v1/traces: `);
    const count = (re: RegExp) => Number(re.exec(warnings[0])?.[1] ?? 0);
    const queueFull = count(/(\d+) dropped because the queue was full \(OTEL_BSP_MAX_QUEUE_SIZE=10\)/);
    const tooSlow = count(/(\d+) dropped because the collector was too slow/);
    const delivered = count(/(\d+) delivered$/);
    // Every span is accounted for: delivered (and received) or reported dropped, with the reason.
    expect(queueFull + tooSlow + delivered).toBe(100);
    expect(queueFull).toBeGreaterThan(0);
    const spans = await receiver.waitForSpans((s) => s.length >= delivered);
    expect(new Set(spans.map((s) => s.name)).size).toBe(Number(delivered));
  });

  it('a collector that refuses (HTTP 400) for a while, then accepts: later spans arrive, refused ones are counted', async () => {
    receiver.setBehavior({ kind: 'status', code: 400 });
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('phases');
tracer.startSpan('while-down').end();
process.stdin.once('data', () => { tracer.startSpan('after-recovery').end(); process.stdin.pause(); });
`;
    const { spawn } = await import('node:child_process');
    const { makeAppDir, cleanEnv } = await import('../helpers/run-app');
    const dir = makeAppDir({ 'app.cjs': app }, ['@opentelemetry/api']);
    const child = spawn(process.execPath, ['--import', '@org/otel-agent', 'app.cjs'], {
      cwd: dir,
      env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_BSP_SCHEDULE_DELAY: '20' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The first export is refused; then the collector comes back.
    await new Promise<void>((resolve) => {
      const check = () => (receiver.requests.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    receiver.setBehavior({ kind: 'ok' });
    child.stdin.end('go\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(receiver.spans.map((s) => s.name)).toEqual(['after-recovery']);
    const warnings = warningsOf(stderr);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`cannot export spans to OTLP http/protobuf ${receiver.httpUrl}/v1/traces`);
    expect(warnings[1]).toBe(`[otel-agent] warning: spans lost for OTLP http/protobuf ${receiver.httpUrl}/v1/traces: 1 not accepted by OTLP http/protobuf ${receiver.httpUrl}/v1/traces: Bad Request; 1 delivered`);
  });
});

describe('failures inside the agent never reach the program', () => {
  const APP = `console.log('out'); console.error('err'); process.exitCode = 5;
const { trace } = require('@opentelemetry/api'); trace.getTracer('t').startSpan('s').end();`;

  it('a trace file on a full disk (/dev/full): one warning naming the path and the variable', async () => {
    const run = await runApp({ files: { 'app.cjs': APP }, entry: 'app.cjs', packages: ['@opentelemetry/api'], env: { OTEL_EXPORTER_OTLP_TRACES_FILE: '/dev/full' } });
    expect(run.code).toBe(5);
    expect(run.stdout).toBe('out\n');
    const warnings = warningsOf(run.stderr);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toContain('/dev/full');
    expect(warnings[0]).toContain('OTEL_EXPORTER_OTLP_TRACES_FILE');
    expect(run.stderr.split('\n').filter((l) => l === 'err')).toHaveLength(1);
  });

  it('every variable malformed at once: the program runs as without the agent, each warning printed once', async () => {
    const bad = 'x\uFFFD\u0000'.repeat(2000);
    const env: Record<string, string> = {};
    const names = [
      'OTEL_SDK_DISABLED', 'OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_NODE_RESOURCE_DETECTORS', 'OTEL_TRACES_EXPORTER',
      'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
      'OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', 'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG', 'OTEL_PROPAGATORS', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_BSP_MAX_QUEUE_SIZE',
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_EVENT_COUNT_LIMIT', 'OTEL_SPAN_LINK_COUNT_LIMIT', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
      'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER', 'OTEL_LOG_LEVEL', 'OTEL_AGENT_FLUSH_TIMEOUT', 'OTEL_AGENT_TRACE_FILE_FORMAT',
      'KAR_TELEMETRY_ENABLED', 'OTEL_EXPORTER_JAEGER_ENDPOINT', 'OTEL_EXPORTER_JAEGER_AGENT_HOST',
      'OTEL_AGENT_PROCESS_SPAN', 'OTEL_AGENT_PROCESS_SPAN_NAME', 'OTEL_AGENT_CHILD_PROCESS_PROPAGATION', 'OTEL_AGENT_FUNCTION_SPANS',
      'OTEL_AGENT_COMMAND_RULES', 'OTEL_AGENT_REDACT_FLAGS', 'OTEL_AGENT_REDACTION', 'TRACEPARENT', 'TRACESTATE', 'BAGGAGE',
    ];
    for (const n of names) env[n] = bad.replace(/\u0000/g, '');
    const [withAgent, without] = await Promise.all([
      runApp({ files: { 'app.cjs': APP }, entry: 'app.cjs', packages: ['@opentelemetry/api'], env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl } }),
      runApp({ files: { 'app.cjs': APP }, entry: 'app.cjs', preload: 'none', packages: ['@opentelemetry/api'] }),
    ]);
    expect(withAgent.code).toBe(without.code);
    expect(withAgent.stdout).toBe(without.stdout);
    const warnings = warningsOf(withAgent.stderr);
    expect(new Set(warnings).size).toBe(warnings.length);
    expect(warnings.filter((w) => w.length > 600)).toEqual([]);
    expect(withAgent.stderr.split('\n').filter((l) => !l.startsWith('[otel-agent]'))).toEqual(without.stderr.split('\n'));
    // The defaults were used: the span still arrived.
    await receiver.waitForSpans((s) => s.some((x) => x.name === 's'));
  });
});

describe('a misbehaving collector never reaches the program', () => {
  // 50 requests to the app's own server while the collector misbehaves; all succeed, output and exit code unchanged.
  const SERVER_APP = `
const http = require('http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', async () => {
  let ok = 0;
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve, reject) => http.get('http://127.0.0.1:' + server.address().port + '/r' + i, (res) => { res.resume(); res.on('end', () => { if (res.statusCode === 200) ok++; resolve(); }); }).on('error', reject));
  }
  console.log('ok', ok);
  server.close();
  process.exitCode = 4;
});
`;
  it.each([
    ['slow (answers after 30 s)', { kind: 'delay', ms: 30_000 }],
    ['HTTP 500', { kind: 'status', code: 500 }],
    ['HTTP 429 with Retry-After', { kind: 'status', code: 429, retryAfterSeconds: 1 }],
    ['connection reset', { kind: 'reset' }],
  ] as const)('%s', async (_name, behavior) => {
    receiver.setBehavior(behavior);
    const run = await runApp({
      files: { 'app.cjs': SERVER_APP },
      entry: 'app.cjs',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_BSP_SCHEDULE_DELAY: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16', OTEL_AGENT_FLUSH_TIMEOUT: '1000' },
      timeoutMs: 20_000,
    });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('ok 50\n');
    // The export did reach the collector while the program was running.
    expect(receiver.requests.length).toBeGreaterThan(0);
    const warnings = warningsOf(run.stderr);
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('[otel-agent]'))).toEqual([]);
    // Whatever was lost is said, with the destination.
    if (behavior.kind !== 'delay') expect(warnings.at(-1)).toContain(`spans lost for OTLP http/protobuf ${receiver.httpUrl}/v1/traces`);
  });
});
