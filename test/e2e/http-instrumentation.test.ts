// The agent's HTTP instrumentation against upstream's (the oracle), and its own features, in real Node processes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttributeMap, ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';
import { portPlaceholders, traced as tracedApp, type TracedRun } from '../helpers/traced-app';

const SERVER = 2;
const CLIENT = 3;
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'http');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const receiver = sharedReceiver();

let tls: { TLS_KEY: string; TLS_CERT: string } | undefined;
beforeAll(() => {
  // A self-signed certificate for the https scenarios (skipped where openssl is missing).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    tls = { TLS_KEY: path.join(dir, 'key.pem'), TLS_CERT: path.join(dir, 'cert.pem') };
  } catch {
    tls = undefined;
  }
});

const isHttp = (s: ReceivedSpan) => s.scope.name.endsWith('instrumentation-http');

/**
 * Runs an app with the agent, exporting to the receiver, and returns its spans (told apart by service name)
 * once `expectedSpans` HTTP spans (either implementation's scope) have arrived.
 */
function traced(app: string, service: string, env: Record<string, string> = {}, expectedSpans = 1, extra: { packages?: string[]; stderr?: RegExp } = {}): Promise<TracedRun> {
  return tracedApp(receiver, { files: { 'app.cjs': app }, service, env, packages: extra.packages, stderr: extra.stderr, counts: isHttp, expected: expectedSpans });
}

/** A span as compared across the two implementations: ports and times replaced by placeholders. */
interface Comparable {
  key: string;
  parent: string;
  name: string;
  kind: number;
  status: number;
  attributes: AttributeMap;
  events: string[];
}

function comparable(spans: ReceivedSpan[], stdout: string): Comparable[] {
  const normalize = portPlaceholders(stdout);
  const keyOf = (s: ReceivedSpan) => `${s.kind === SERVER ? 'server' : 'client'} ${s.name} ${normalize(s.attributes['url.full'] ?? s.attributes['url.path'], '')}`;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .map((s) => ({
      key: keyOf(s),
      parent: s.parentSpanId ? (byId.has(s.parentSpanId) ? keyOf(byId.get(s.parentSpanId)!) : 'remote') : 'none',
      name: s.name,
      kind: s.kind,
      status: s.status.code,
      attributes: Object.fromEntries(Object.entries(s.attributes).map(([k, v]) => [k, normalize(v, k)])) as AttributeMap,
      events: s.events.map((e) => e.name),
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

describe('the agent\'s spans match @opentelemetry/instrumentation-http\'s', () => {
  it('GET/POST/PURGE, 200/404/500, query strings, URL forms, credentials, signatures, a refused port, https, nested calls', async () => {
    const env = tls ?? {};
    const expected = tls ? 27 : 23;
    const agent = await traced(fixture('scenarios.cjs'), 'compare-agent', env, expected);
    const upstream = await traced(fixture('scenarios.cjs'), 'compare-upstream', { ...env, OTEL_AGENT_HTTP_INSTRUMENTATION: 'upstream' }, expected);
    // The program saw the same thing under both.
    expect(agent.run.stdout.replace(/\d+/g, 'N')).toBe(upstream.run.stdout.replace(/\d+/g, 'N'));
    expect(agent.run.stdout).toContain('200 payload+ok');
    expect(agent.run.stdout).toContain('error ECONNREFUSED');

    const mine = comparable(agent.spans, agent.run.stdout);
    const theirs = comparable(upstream.spans, upstream.run.stdout);
    expect(mine.map((s) => s.key)).toEqual(theirs.map((s) => s.key));
    expect(agent.spans.every((s) => s.scope.name === '@org/otel-agent/instrumentation-http')).toBe(true);
    expect(upstream.spans.every((s) => s.scope.name === '@opentelemetry/instrumentation-http')).toBe(true);

    for (let i = 0; i < mine.length; i++) {
      const a = mine[i];
      const u = theirs[i];
      // Documented difference: error.type is the error code (ECONNREFUSED), not the error's class name.
      if (u.attributes['error.type'] === 'Error') {
        expect(a.attributes['error.type'], a.key).toBe('ECONNREFUSED');
        a.attributes['error.type'] = u.attributes['error.type'];
      }
      expect(a, a.key).toEqual(u);
    }
    // Spot checks that the comparison covered what it should.
    const byKey = new Map(mine.map((s) => [s.key, s]));
    expect(byKey.get('server GET /missing')?.attributes['http.response.status_code']).toBe(404);
    expect(byKey.get('server PURGE /purge')?.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' });
    expect(byKey.get('server GET /fail')).toMatchObject({ status: 2, attributes: { 'error.type': '500' } });
    expect(byKey.get('client GET http://127.0.0.1:PORT0/missing')).toMatchObject({ status: 2, attributes: { 'error.type': '404' } });
    expect(byKey.get('client GET http://REDACTED:REDACTED@127.0.0.1:PORT0/credentials')).toBeDefined();
    expect(byKey.get('server GET /signed')?.attributes['url.query']).toBe('sig=REDACTED&X-Goog-Signature=REDACTED&AWSAccessKeyId=REDACTED&x=1');
    expect(byKey.get('client GET http://127.0.0.1:PORT0/leaf')?.parent).toBe('server POST /chain');
    expect(byKey.get('server POST /chain')?.parent).toBe('client POST http://127.0.0.1:PORT0/chain');
    if (tls) expect(byKey.get('server GET /secure')?.attributes['url.scheme']).toBe('https');
    // No span for the agent's own OTLP export requests.
    expect(agent.spans.filter((s) => JSON.stringify(s.attributes).includes('/v1/traces'))).toEqual([]);
  });
});

describe('edge cases: each request\'s spans end exactly once, and the program sees what it sees without the agent', () => {
  it('keep-alive, pipelining, upgrade, CONNECT, a response never read, a client gone mid-response, a throwing handler, a timeout, an abort', async () => {
    const app = fixture('edge-cases.cjs');
    const plain = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', preload: 'none' });
    // warn: the SDK would report a span ended twice.
    const { run, spans } = await traced(app, 'edge-cases', { OTEL_LOG_LEVEL: 'warn' }, 20);
    expect(run.stdout).toBe(plain.stdout);
    expect(plain.stdout).toContain('done');
    const http = spans.filter((s) => s.scope.name === '@org/otel-agent/instrumentation-http');
    const key = (s: ReceivedSpan) => `${s.kind === SERVER ? 'server' : 'client'} ${s.name} ${String(s.attributes['url.path'] ?? s.attributes['url.full']).replace(/^http:\/\/127\.0\.0\.1:\d+/, '')}`;
    const count = new Map<string, number>();
    http.forEach((s) => count.set(key(s), (count.get(key(s)) ?? 0) + 1));
    expect(Object.fromEntries(count)).toEqual({
      'server GET /ka/1': 1, 'client GET /ka/1': 1, 'server GET /ka/2': 1, 'client GET /ka/2': 1, 'server GET /ka/3': 1, 'client GET /ka/3': 1,
      'server GET /pipe/1': 1, 'server GET /pipe/2': 1,
      'client GET /upgrade': 1, 'client CONNECT example.test:443': 1,
      'server GET /never': 1, 'client GET /never': 1,
      'server GET /slow': 1, 'client GET /slow': 1,
      'server GET /throw': 1, 'client GET /throw': 1,
      'server GET /hang': 1, 'client GET /hang': 1,
      'server GET /abort': 1, 'client GET /abort': 1,
    });
    const get = (k: string) => http.find((s) => key(s) === k)!;
    expect(get('client GET /upgrade').attributes['http.response.status_code']).toBe(101);
    expect(get('client CONNECT example.test:443').attributes['http.response.status_code']).toBe(200);
    expect(get('client GET /never').status.code).toBe(0);
    expect(get('server GET /slow')).toMatchObject({ status: { code: 0 }, attributes: { 'http.response.status_code': 200 } });
    expect(get('client GET /slow')).toMatchObject({ status: { code: 2 }, attributes: { 'error.type': 'ECONNRESET' } });
    expect(get('server GET /throw')).toMatchObject({ status: { code: 2, message: 'boom' }, attributes: { 'error.type': 'Error' } });
    expect(get('server GET /throw').events.map((e) => e.name)).toEqual(['exception']);
    expect(get('client GET /hang')).toMatchObject({ status: { code: 2 }, attributes: { 'error.type': 'ETIMEDOUT' } });
    expect(get('client GET /abort')).toMatchObject({ status: { code: 2 }, attributes: { 'error.type': 'ECONNRESET' } });
    // Keep-alive: each request on the shared socket is its own trace.
    expect(new Set(['1', '2', '3'].map((n) => get(`server GET /ka/${n}`).traceId)).size).toBe(3);
    expect(get('server GET /ka/2').parentSpanId).toBe(get('client GET /ka/2').spanId);
  });
});

describe('headers Node sends while building the request', () => {
  it('Expect: 100-continue and a raw header array still carry the client span\'s context', async () => {
    const without = await runApp({ files: { 'app.cjs': fixture('early-headers.cjs') }, entry: 'app.cjs', preload: 'none' });
    expect(without.stdout).toBe('expect {"tp":null}\narray {"tp":null}\nplain {"tp":null}\n');
    const { run, spans } = await traced(fixture('early-headers.cjs'), 'early-headers', {}, 6);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['expect', 'array', 'plain']);
    for (const line of lines) {
      const tp = JSON.parse(line.slice(line.indexOf(' ') + 1)).tp as string;
      const [, traceId, spanId] = tp.split('-');
      const client = spans.find((s) => s.kind === CLIENT && s.spanId === spanId);
      expect(client?.traceId, line).toBe(traceId);
    }
  });
});

describe('express', () => {
  const serverSpans = (spans: ReceivedSpan[]) =>
    spans.filter((s) => s.kind === SERVER).map((s) => ({ name: s.name, route: s.attributes['http.route'], status: s.attributes['http.response.status_code'] })).sort((a, b) => a.name.localeCompare(b.name));

  it('the agent names the route itself with no span per middleware; upstream names it the same with its middleware spans on', async () => {
    const app = fixture('express-app.cjs');
    const agent = await traced(app, 'express-agent', {}, 8, { packages: ['express'] });
    expect(agent.run.stdout).toBe('/users/42 200 {"id":"42"}\n/api/items/7 200 item 7\n/orgs/alice/repos/9 200 repo 9\n/nothing 404 <!DOCTYPE ht\n');
    expect(serverSpans(agent.spans)).toEqual([
      { name: 'GET', route: undefined, status: 404 },
      { name: 'GET /api/items/:item', route: '/api/items/:item', status: 200 },
      { name: 'GET /orgs/:org/repos/:repo', route: '/orgs/:org/repos/:repo', status: 200 },
      { name: 'GET /users/:id', route: '/users/:id', status: 200 },
    ]);
    expect(agent.spans.filter((s) => /express|router/.test(s.scope.name))).toEqual([]);

    const upstream = await traced(app, 'express-upstream', { OTEL_AGENT_HTTP_INSTRUMENTATION: 'upstream', OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' }, 8, { packages: ['express'] });
    expect(upstream.run.stdout).toBe(agent.run.stdout);
    expect(serverSpans(upstream.spans)).toEqual(serverSpans(agent.spans));
    expect(upstream.spans.filter((s) => /express|router/.test(s.scope.name)).length).toBeGreaterThan(3);
  });

  it('OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS=true brings upstream\'s middleware spans back under the agent\'s server span', async () => {
    const { spans } = await traced(fixture('express-app.cjs'), 'express-middleware', { OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' }, 8, { packages: ['express'] });
    const middleware = spans.filter((s) => /express|router/.test(s.scope.name));
    expect(middleware.length).toBeGreaterThan(3);
    const server = spans.find((s) => s.kind === SERVER && s.name === 'GET /users/:id')!;
    expect(server.attributes['http.route']).toBe('/users/:id');
    expect(middleware.some((s) => s.parentSpanId === server.spanId)).toBe(true);
  });
});

describe('filters, header capture, redaction, propagation, frameworks\' routes', () => {
  const HEADERS = {
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'authorization,x-request-id,cookie',
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'set-cookie,x-served-by',
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST: 'authorization,x-request-id',
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE: 'x-served-by,set-cookie',
  };
  const packages = ['@opentelemetry/core', '@opentelemetry/api'];
  const serverOf = (spans: ReceivedSpan[], path: string) => spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path);
  const clientOf = (spans: ReceivedSpan[], path: string) => spans.find((s) => s.kind === CLIENT && String(s.attributes['url.full']).includes(path));

  it('excluded URLs get no span; captured headers are string arrays with secrets redacted; token-like query values are redacted; RPC routes name the span', async () => {
    const { run, spans } = await traced(fixture('features.cjs'), 'features', {
      ...HEADERS,
      // Incoming requests match on path+query, outgoing ones on the full URL.
      OTEL_NODE_EXCLUDED_URLS: '^/health$,/ready\\?probe=1$,^http://[^/]+/health$',
    }, 8, { packages });
    // An excluded outgoing request carries no trace context either.
    expect(run.stdout).toMatch(/^health \{\}$/m);
    // Excluded: no server span for /health (path) nor /ready?probe=1 (path+query), and no client span for their full URLs.
    const paths = spans.map((s) => s.attributes['url.path'] ?? s.attributes['url.full']);
    expect(paths.filter((p) => /health|ready/.test(String(p)))).toEqual([]);

    const server = serverOf(spans, '/secrets')!;
    expect(server.attributes['url.query']).toBe('access_token=REDACTED&Token=REDACTED&api_key=REDACTED&apikey=REDACTED&password=REDACTED&secret=REDACTED&page=2');
    expect(server.attributes['http.request.header.authorization']).toEqual(['REDACTED']);
    expect(server.attributes['http.request.header.cookie']).toEqual(['REDACTED']);
    expect(server.attributes['http.request.header.x-request-id']).toEqual(['req-1']);
    expect(server.attributes['http.response.header.set-cookie']).toEqual(['REDACTED']);
    expect(server.attributes['http.response.header.x-served-by']).toEqual(['features']);
    const client = clientOf(spans, '/secrets')!;
    expect(client.attributes['url.full']).toMatch(/\/secrets\?access_token=REDACTED&Token=REDACTED&api_key=REDACTED&apikey=REDACTED&password=REDACTED&secret=REDACTED&page=2$/);
    expect(client.attributes['http.request.header.authorization']).toEqual(['REDACTED']);
    expect(client.attributes['http.request.header.x-request-id']).toEqual(['req-1']);
    expect(client.attributes['http.response.header.set-cookie']).toEqual(['REDACTED']);

    expect(serverOf(spans, '/encoded')!.attributes['url.query']).toBe('acc%65ss_token=REDACTED&X%2DAmz%2DSignature=REDACTED;%74oken=REDACTED&token[]=REDACTED&client_secret=REDACTED&code=US&page=2');
    expect(clientOf(spans, '/encoded')!.attributes['url.full']).toMatch(/\/encoded\?acc%65ss_token=REDACTED&X%2DAmz%2DSignature=REDACTED;%74oken=REDACTED&token\[\]=REDACTED&client_secret=REDACTED&code=US&page=2$/);
    expect(serverOf(spans, '/oauth/callback')!.attributes['url.query']).toBe('code=REDACTED&state=xyz');

    const rpc = serverOf(spans, '/rpc/thing')!;
    expect(rpc.name).toBe('GET /rpc/:name');
    expect(rpc.attributes['http.route']).toBe('/rpc/:name');
  });

  it('OTEL_AGENT_REDACTION=off keeps header values and token-like query values (one warning says so)', async () => {
    const { spans } = await traced(fixture('features.cjs'), 'features-unredacted', { ...HEADERS, OTEL_AGENT_REDACTION: 'off' }, 12, { packages, stderr: /^\[otel-agent\] warning: OTEL_AGENT_REDACTION=off: .*HTTP headers.*\n$/ });
    const server = serverOf(spans, '/secrets')!;
    expect(server.attributes['url.query']).toBe('access_token=a1&Token=b2&api_key=c3&apikey=d4&password=e5&secret=f6&page=2');
    expect(server.attributes['http.request.header.authorization']).toEqual(['Bearer xyz']);
    expect(server.attributes['http.response.header.set-cookie']).toEqual(['session=s3cret']);
  });

  it('b3 propagation when OTEL_PROPAGATORS asks: injected by the client, extracted by the server', async () => {
    const { run, spans } = await traced(fixture('features.cjs'), 'features-b3', { OTEL_PROPAGATORS: 'b3' }, 12, { packages });
    const sent = JSON.parse(/^rpc (.*)$/m.exec(run.stdout)![1]) as { traceparent?: string; b3?: string };
    expect(sent.traceparent).toBeUndefined();
    const client = clientOf(spans, '/rpc/thing')!;
    expect(sent.b3).toBe(`${client.traceId}-${client.spanId}-1`);
    const server = serverOf(spans, '/rpc/thing')!;
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.traceId).toBe(client.traceId);
  });
});

describe('context in the listeners a handler adds, recording or not', () => {
  for (const sampler of ['parentbased_always_on', 'always_off']) {
    it(`OTEL_TRACES_SAMPLER=${sampler}: req's 'data' and 'end' listeners run in the request's context and a call from there carries it; a throwing handler on an excluded URL runs once`, async () => {
      const run = await runApp({
        files: { 'app.cjs': fixture('listener-context.cjs') },
        entry: 'app.cjs',
        packages: ['@opentelemetry/api'],
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: `listeners-${sampler}`, OTEL_TRACES_SAMPLER: sampler, OTEL_NODE_EXCLUDED_URLS: '^/excluded-throw$' },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = run.stdout.trim().split('\n');
      const seen = JSON.parse(lines[0]) as { received: string; handler: string; data: string[]; end: string; nested: string };
      const [, traceId, parentId, flags] = seen.received.split('-');
      expect(flags).toBe(sampler === 'always_off' ? '00' : '01');
      expect(seen.handler).toBe(traceId);
      expect(seen.data).toEqual([traceId]);
      expect(seen.end).toBe(traceId);
      // The nested call's parent is the server span (a new span id in the same trace).
      expect(seen.nested).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-${flags}$`));
      expect(seen.nested.split('-')[2]).not.toBe(parentId);
      expect(lines.slice(1)).toEqual(['uncaught excluded boom', 'excluded handler runs 1']);
    });
  }
});

describe('metrics', () => {
  it('OTEL_METRICS_EXPORTER set: http.server.request.duration and http.client.request.duration with the conventions\' attributes and buckets', async () => {
    const { run } = await traced(fixture('features.cjs'), 'features-metrics', { OTEL_METRICS_EXPORTER: 'console' }, 12, { packages: ['@opentelemetry/core', '@opentelemetry/api'] });
    const server = run.stdout.slice(run.stdout.indexOf("name: 'http.server.request.duration'"));
    const client = run.stdout.slice(run.stdout.indexOf("name: 'http.client.request.duration'"));
    expect(run.stdout).toContain("name: 'http.server.request.duration'");
    expect(run.stdout).toContain("name: 'http.client.request.duration'");
    expect(server).toMatch(/unit: 's'/);
    expect(server).toMatch(/0\.005, 0\.01, 0\.025/);
    expect(server).toMatch(/'http\.route': '\/rpc\/:name'/);
    expect(server).toMatch(/'url\.scheme': 'http'/);
    expect(client).toMatch(/'server\.address': '127\.0\.0\.1'/);
    expect(client).toMatch(/'http\.response\.status_code': 200/);
  });
});
