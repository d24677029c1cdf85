// pino, winston and bunyan with the agent loaded: the program's streams and output stay its own, with the trace fields added; logs go out only when exported.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp, type Preload } from '../helpers/run-app';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'loggers');
const receiver = sharedReceiver();

/** OTLP/HTTP JSON log requests, as the agent's log exporter sends them (the trace receiver decodes only traces). */
let logsServer: http.Server;
let logsUrl: string;
const logBodies: { resourceLogs?: { scopeLogs?: { scope?: { name?: string }; logRecords?: { body?: { stringValue?: string }; traceId?: string; severityText?: string }[] }[] }[] }[] = [];
const logWaiters: (() => void)[] = [];
beforeAll(async () => {
  logsServer = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/logs') logBodies.push(JSON.parse(body));
      res.writeHead(req.url === '/v1/logs' ? 200 : 404, { 'Content-Type': 'application/json' }).end('{}');
      logWaiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => logsServer.listen(0, '127.0.0.1', resolve));
  logsUrl = `http://127.0.0.1:${(logsServer.address() as AddressInfo).port}/v1/logs`;
});
afterAll(() => new Promise<void>((resolve) => logsServer.close(() => resolve())));

/** Log records received so far, by scope name: their bodies and trace ids. */
function receivedLogs(scope: RegExp) {
  return logBodies.flatMap((b) => b.resourceLogs ?? []).flatMap((r) => r.scopeLogs ?? []).filter((s) => scope.test(s.scope?.name ?? '')).flatMap((s) => s.logRecords ?? []);
}
async function waitForLogs(scope: RegExp, count: number) {
  while (receivedLogs(scope).length < count) await new Promise<void>((resolve) => logWaiters.push(resolve));
  return receivedLogs(scope);
}

const TRACE_FIELDS = ['trace_id', 'span_id', 'trace_flags'];
/** Fields that differ between any two runs (bunyan's time and pid). */
const VOLATILE = ['time', 'pid'];

async function run(logger: string, preload: Preload, env: Record<string, string> = {}) {
  const result = await runApp({
    files: { 'app.cjs': fs.readFileSync(path.join(FIXTURES, `${logger}.cjs`), 'utf8') },
    entry: 'app.cjs',
    preload,
    packages: [logger, '@opentelemetry/api'],
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: `logs-${logger}`, OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
  });
  expect(result.stderr, `${logger} stderr`).toBe('');
  expect(result.code, `${logger} exit code`).toBe(0);
  const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const strip = (line: Record<string, unknown>, fields: string[]) => Object.fromEntries(Object.entries(line).filter(([k]) => !fields.includes(k)));
  return { lines, stable: lines.map((l) => strip(l, VOLATILE)), withoutTrace: lines.map((l) => strip(l, [...VOLATILE, ...TRACE_FIELDS])) };
}

describe.each(['pino', 'winston', 'bunyan'])('%s', (logger) => {
  it('logs export off (the default): the program\'s own stream and lines, plus the trace fields inside a span', async () => {
    const without = await run(logger, 'none');
    const withAgent = await run(logger, 'import');
    // First line: the app's check that its logger still has only the stream / transport it gave it.
    expect(withAgent.lines[0]).toEqual(without.lines[0]);
    expect(Object.values(withAgent.lines[0]!).every((v) => v === true || v === 1 || v === 'function')).toBe(true);
    // The same lines, field for field, once the trace fields are taken out; and nothing else printed.
    expect(withAgent.withoutTrace).toEqual(without.withoutTrace);
    const [outside, inside] = withAgent.lines.slice(1);
    expect(Object.keys(outside!).filter((k) => TRACE_FIELDS.includes(k))).toEqual([]);
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'work' && x.resource['service.name'] === `logs-${logger}`));
    const work = spans.find((x) => x.name === 'work' && x.resource['service.name'] === `logs-${logger}`)!;
    expect(inside).toMatchObject({ trace_id: work.traceId, span_id: work.spanId, trace_flags: '01' });
  });
});

describe('logs export on (OTEL_LOGS_EXPORTER=otlp)', () => {
  const env = () => ({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: logsUrl, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json', OTEL_BLRP_SCHEDULE_DELAY: '100' });

  it.each(['pino', 'bunyan'])('%s records reach the collector, with the trace id of the span they were written in; stdout keeps its lines', async (logger) => {
    const without = await run(logger, 'none');
    const withAgent = await run(logger, 'import', env());
    expect(withAgent.withoutTrace.slice(1)).toEqual(without.withoutTrace.slice(1));
    const scope = new RegExp(`instrumentation-${logger}$`);
    const records = await waitForLogs(scope, 2);
    expect(records.map((r) => r.body?.stringValue)).toEqual(['outside', 'inside']);
    expect(records[1]!.traceId).toBe(withAgent.lines[2]!.trace_id);
  });
});
