// The agent's lean span against the SDK's (OTEL_AGENT_LEAN_SPANS=false) in a real HTTP app: user code on the active span, the same spans exported.
import { describe, expect, it } from 'vitest';
import type { AttributeMap, ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp, type RunResult } from '../helpers/run-app';

const receiver = sharedReceiver();

/**
 * A server whose handler works on the active span as user code does (attributes valid and not, an exception with a
 * secret in it, an event, a new name, a status) and starts a span of its own tracer; each request makes a nested fetch.
 * It prints the class of the server span and of its own span, then exits once both requests are done.
 */
const APP = String.raw`
const http = require('node:http');
const { trace, SpanStatusCode } = require('@opentelemetry/api');
let port;
const server = http.createServer(async (req, res) => {
  if (req.url === '/inner') return res.end('inner');
  const span = trace.getActiveSpan();
  console.log('SERVER SPAN ' + span.constructor.name);
  span.setAttribute('app.user', 'u-42');
  span.setAttribute('app.long', 'x'.repeat(100));
  span.setAttribute('app.list', [1, 2, 3]);
  span.setAttribute('app.mixed', ['a', 1, true]);
  span.setAttribute('app.object', { nested: { deep: true } });
  span.setAttribute('app.invalid', new Map([[1, 2]]));
  span.setAttribute('app.undefined', undefined);
  span.setAttribute('', 'empty key');
  span.setAttributes({ 'app.count': 3, 'app.flag': false });
  const error = new Error('lookup failed for https://api.example/v1?token=abc123');
  error.code = 'E_LOOKUP';
  error.stack = 'Error: lookup failed for https://api.example/v1?token=abc123\n    at handler (/app/app.cjs:20:5)';
  span.recordException(error);
  span.recordException('a plain string');
  span.addEvent('app.checkpoint', { step: 2, bad: { no: 'objects in events' } });
  span.updateName('GET /users/:id');
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'user lookup failed' });
  trace.getTracer('app').startActiveSpan('app.work', (own) => {
    console.log('APP SPAN ' + own.constructor.name);
    own.setAttribute('app.step', 'work');
    own.end();
  });
  await (await fetch('http://127.0.0.1:' + port + '/inner')).text();
  res.end('ok');
});
server.listen(0, '127.0.0.1', async () => {
  port = server.address().port;
  console.log('PORT ' + port);
  await (await fetch('http://127.0.0.1:' + port + '/users/1')).text();
  await new Promise((resolve, reject) => http.get('http://127.0.0.1:' + port + '/users/2', (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
  server.close();
});
`;

/** Spans per run: 2 × (outer client, server, app.work, inner client, inner server); the outer clients are a fetch and an http.get. */
const EXPECTED = 10;

async function traced(service: string, env: Record<string, string>): Promise<{ run: RunResult; spans: ReceivedSpan[] }> {
  const run = await runApp({
    files: { 'app.cjs': APP },
    entry: 'app.cjs',
    packages: ['@opentelemetry/api'],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_SERVICE_NAME: service,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net,dns',
      // The limits apply to both span classes alike.
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '40',
      ...env,
    },
  });
  expect(run.stderr, `${service} stderr`).toBe('');
  expect(run.code, `${service} exit code`).toBe(0);
  const mine = (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === service);
  const spans = mine(await receiver.waitForSpans((all) => mine(all).length >= EXPECTED));
  return { run, spans };
}

/** A span without ids, times, ports and the run's own resource values: parents by name. */
function comparable(spans: ReceivedSpan[], stdout: string) {
  const port = /^PORT (\d+)$/m.exec(stdout)?.[1];
  expect(port).toBeDefined();
  const normalize = (v: unknown): unknown =>
    typeof v === 'string' ? v.split(port!).join('PORT') : typeof v === 'number' && String(v) === port ? 'PORT' : Array.isArray(v) ? v.map(normalize) : v;
  const attrs = (a: AttributeMap) =>
    Object.fromEntries(
      Object.entries(a)
        .filter(([k]) => k !== 'network.peer.port')
        .map(([k, v]) => [k, normalize(v)]),
    );
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const key = (s: ReceivedSpan) => `${s.kind} ${s.name} ${normalize(s.attributes['url.full'] ?? s.attributes['url.path'] ?? '')}`;
  return spans
    .map((s) => ({
      key: key(s),
      parent: s.parentSpanId ? key(byId.get(s.parentSpanId)!) : 'none',
      sameTraceAsParent: s.parentSpanId ? byId.get(s.parentSpanId)!.traceId === s.traceId : true,
      name: s.name,
      kind: s.kind,
      status: s.status,
      attributes: attrs(s.attributes),
      events: s.events.map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
      links: s.links.length,
      scope: s.scope,
      resourceKeys: Object.keys(s.resource).sort(),
      durationPositive: s.endTimeUnixNano >= s.startTimeUnixNano,
    }))
    .sort((a, b) => a.key.localeCompare(b.key) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('lean spans (OTEL_AGENT_LEAN_SPANS)', () => {
  it('export the same spans as the SDK span class, with user code on the active span, and only for the agent\'s scopes', async () => {
    const [lean, sdk] = await Promise.all([traced('lean-on', {}), traced('lean-off', { OTEL_AGENT_LEAN_SPANS: 'false' })]);
    // The server span is the agent's lean span by default, the SDK's with the setting off; the app's own tracer is always the SDK's.
    expect(lean.run.stdout.match(/^SERVER SPAN (\w+)$/gm)).toEqual(['SERVER SPAN LeanSpan', 'SERVER SPAN LeanSpan']);
    expect(sdk.run.stdout).toMatch(/^SERVER SPAN \w+$/m);
    expect(sdk.run.stdout).not.toContain('SERVER SPAN LeanSpan');
    for (const run of [lean, sdk]) expect(run.run.stdout).not.toContain('APP SPAN LeanSpan');

    const a = comparable(lean.spans, lean.run.stdout);
    const b = comparable(sdk.spans, sdk.run.stdout);
    expect(a).toEqual(b);

    // What user code did is there, sanitized, limited and redacted as the SDK does it.
    const servers = a.filter((s) => s.name === 'GET /users/:id');
    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect(server.attributes).toMatchObject({ 'app.user': 'u-42', 'app.long': 'x'.repeat(40), 'app.list': [1, 2, 3], 'app.mixed': ['a', 1, true], 'app.count': 3, 'app.flag': false });
      expect(server.attributes).not.toHaveProperty('app.invalid');
      expect(server.attributes).not.toHaveProperty('app.undefined');
      expect(server.status).toEqual({ code: 2, message: 'user lookup failed' });
      expect(server.events.map((e) => e.name)).toEqual(['exception', 'exception', 'app.checkpoint']);
      expect(server.events[0].attributes['exception.type']).toBe('E_LOOKUP');
      expect(JSON.stringify(server.events[0].attributes)).not.toContain('abc123');
      expect(server.events[2].attributes).toEqual({ step: 2 });
      expect(server.scope.name).toBe('@org/otel-agent/instrumentation-http');
    }
    expect(a.filter((s) => s.scope.name === '@org/otel-agent/instrumentation-undici')).toHaveLength(3);
    expect(a.filter((s) => s.name === 'app.work' && s.parent.includes('GET /users/:id'))).toHaveLength(2);
  });
});
