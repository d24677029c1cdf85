// In-process tests of the agent's HTTP instrumentation (http.ts, express-route.ts): the real SDK, an in-memory exporter.
// How node:http is patched inside vitest: test/helpers/in-process-http.ts. The slower end-to-end tests (the agent
// loaded by `node --import` into a child process, compared with upstream's instrumentation span by span) are in
// test/e2e/http-instrumentation.test.ts.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type * as Http from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExpressRouteInstrumentation, HttpInstrumentation, type HttpInstrumentationConfig } from '../../../../src/instrumentations/http';
import { byKind, ENDED_TWICE, inProcessHttp, only } from '../../../helpers/in-process-http';

const SCOPE = '@org/otel-agent/instrumentation-http';

const instrumentation = new HttpInstrumentation({ enabled: false });
// As the agent registers them for express 5: one hook in express (express.Router is the router package's), one in the router package.
const routes = [new ExpressRouteInstrumentation({ module: 'express', enabled: false }), new ExpressRouteInstrumentation({ module: 'router', enabled: false })];
const { exporter, diagnostics, nodeRequire, http, listen, serve, get, spansOf } = inProcessHttp([instrumentation, ...routes]);
const express = nodeRequire('express') as Express;

afterEach(() => instrumentation.setConfig({}));

describe('HttpInstrumentation patches node:http', () => {
  it('http.request and Server.prototype.emit are wrapped by the agent', () => {
    expect(Object.getOwnPropertySymbols(http.request).map(String)).toContain('Symbol(otel-agent.http.wrapped)');
    expect(Object.getOwnPropertySymbols(http.Server.prototype.emit).map(String)).toContain('Symbol(otel-agent.http.wrapped)');
  });
});

describe('a request to a local server', () => {
  it('gives one server and one client span of the same trace, the client the parent of the server', async () => {
    const server = await serve((req, res) => res.end(`ok ${req.headers.traceparent ?? 'none'}`));
    const response = await get(`${server.url}/users/42?page=2`);
    const spans = await spansOf(1, 1);
    const client = only(spans, SpanKind.CLIENT);
    const serverSpan = only(spans, SpanKind.SERVER);

    expect(serverSpan.spanContext().traceId).toBe(client.spanContext().traceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(serverSpan.parentSpanContext?.isRemote).toBe(true);
    expect(client.parentSpanContext).toBeUndefined();
    // The header the server got is the client span's context.
    expect(response.body).toBe(`ok 00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);

    expect([client.name, serverSpan.name]).toEqual(['GET', 'GET']);
    expect(client.instrumentationScope.name).toBe(SCOPE);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'url.full': `${server.url}/users/42?page=2`,
      'http.response.status_code': 200,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': server.port,
      'network.protocol.version': '1.1',
    });
    expect(serverSpan.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/users/42',
      'url.query': 'page=2',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'client.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    expect(client.status.code).toBe(SpanStatusCode.UNSET);
    expect(serverSpan.status.code).toBe(SpanStatusCode.UNSET);
    expect(client.attributes['error.type']).toBeUndefined();
    expect(serverSpan.attributes['error.type']).toBeUndefined();
  });

  it('a call made in a handler is a child of the server span', async () => {
    const backend = await serve((_req, res) => res.end('backend'));
    const front = await serve((_req, res) => {
      get(`${backend.url}/inner`).then(
        (r) => res.end(r.body),
        () => res.end('failed'),
      );
    });
    expect((await get(`${front.url}/outer`)).body).toBe('backend');
    const spans = await spansOf(2, 2);
    const outerServer = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/outer')!;
    const innerClient = spans.find((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).endsWith('/inner'))!;
    const innerServer = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/inner')!;
    expect(innerClient.parentSpanContext?.spanId).toBe(outerServer.spanContext().spanId);
    expect(innerServer.parentSpanContext?.spanId).toBe(innerClient.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });
});

describe('status codes', () => {
  it.each([
    [204, SpanStatusCode.UNSET, undefined, SpanStatusCode.UNSET, undefined],
    [404, SpanStatusCode.ERROR, '404', SpanStatusCode.UNSET, undefined],
    [503, SpanStatusCode.ERROR, '503', SpanStatusCode.ERROR, '503'],
  ])('%i: client status %i (error.type %s), server status %i (error.type %s)', async (code, clientStatus, clientType, serverStatus, serverType) => {
    const server = await serve((_req, res) => {
      res.statusCode = code;
      res.end();
    });
    expect((await get(`${server.url}/status`)).status).toBe(code);
    const spans = await spansOf(1, 1);
    const client = only(spans, SpanKind.CLIENT);
    const serverSpan = only(spans, SpanKind.SERVER);
    expect(client.attributes['http.response.status_code']).toBe(code);
    expect(serverSpan.attributes['http.response.status_code']).toBe(code);
    expect([client.status.code, client.attributes['error.type']]).toEqual([clientStatus, clientType]);
    expect([serverSpan.status.code, serverSpan.attributes['error.type']]).toEqual([serverStatus, serverType]);
  });

  it('a handler that throws: the server span records the error, with its code as error.type, and ends once; the error goes on unchanged', () => {
    const failure = Object.assign(new Error('handler broke'), { code: 'EHANDLER' });
    const server = http.createServer(() => {
      throw failure;
    });
    // Emitted by hand: from Node's parser, the throw would be an uncaught exception of the test process.
    const req = new http.IncomingMessage(new Socket());
    Object.assign(req, { method: 'GET', url: '/throw', headers: { host: 'example.com' }, httpVersion: '1.1' });
    const res = new http.ServerResponse(req);
    expect(() => server.emit('request', req, res)).toThrow(failure);
    // The response closing later does not end the span again.
    res.emit('close');
    const serverSpan = only(exporter.getFinishedSpans(), SpanKind.SERVER);
    expect(serverSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: 'handler broke' });
    expect(serverSpan.attributes['error.type']).toBe('EHANDLER');
    expect(serverSpan.events.map((e) => e.name)).toEqual(['exception']);
    expect(diagnostics.filter((m) => ENDED_TWICE.test(m))).toEqual([]);
  });
});

describe('redaction of query values', () => {
  it('token-like and signature values are REDACTED in url.query and url.full; other values are kept as sent', async () => {
    const server = await serve((_req, res) => res.end());
    await get(`${server.url}/search?q=a,b&access_token=s3cret&Sig=abc&page=2`);
    const spans = await spansOf(1, 1);
    expect(only(spans, SpanKind.SERVER).attributes['url.query']).toBe('q=a,b&access_token=REDACTED&Sig=REDACTED&page=2');
    expect(only(spans, SpanKind.CLIENT).attributes['url.full']).toBe(`${server.url}/search?q=a,b&access_token=REDACTED&Sig=REDACTED&page=2`);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('s3cret');
  });

  it('redaction: false keeps token-like values; signatures stay redacted (upstream does so always)', async () => {
    instrumentation.setConfig({ redaction: false });
    const server = await serve((_req, res) => res.end());
    await get(`${server.url}/search?token=t0k&sig=abc`);
    const spans = await spansOf(1, 1);
    expect(only(spans, SpanKind.SERVER).attributes['url.query']).toBe('token=t0k&sig=REDACTED');
  });
});

describe('excludedUrls', () => {
  it('an excluded incoming request gets no span, nor does a call made while handling it; other requests do', async () => {
    instrumentation.setConfig({ excludedUrls: [/^\/health/] });
    const backend = await serve((req, res) => res.end(req.headers.traceparent ?? 'none'));
    const server = await serve((req, res) => {
      if (req.url === '/health') {
        get(`${backend.url}/from-health`).then((r) => res.end(r.body));
      } else {
        res.end('other');
      }
    });
    // The call made while handling /health carried no context.
    expect((await get(`${server.url}/health`)).body).toBe('none');
    await get(`${server.url}/other`);
    // Client spans: the test's two calls (a server's pattern is matched against path+query, a client's against the full URL).
    // Server spans: /other, and the backend's, a root (nothing was propagated to it).
    const spans = await spansOf(2, 2);
    expect(byKind(spans, SpanKind.CLIENT).map((s) => s.attributes['url.full'])).toEqual([`${server.url}/health`, `${server.url}/other`]);
    const servers = byKind(spans, SpanKind.SERVER);
    expect(servers.map((s) => s.attributes['url.path']).sort()).toEqual(['/from-health', '/other']);
    expect(servers.find((s) => s.attributes['url.path'] === '/from-health')?.parentSpanContext).toBeUndefined();
  });

  it('an outgoing request whose full URL matches gets no span, and injects no context', async () => {
    const server = await serve((req, res) => res.end(req.headers.traceparent ?? 'none'));
    instrumentation.setConfig({ excludedUrls: [/^http:\/\/127\.0\.0\.1:\d+\/skip-me$/] });
    expect((await get(`${server.url}/skip-me`)).body).toBe('none');
    await get(`${server.url}/keep-me`);
    const spans = await spansOf(2, 1);
    expect(byKind(spans, SpanKind.CLIENT).map((s) => s.attributes['url.full'])).toEqual([`${server.url}/keep-me`]);
    // The server's side of /skip-me does not match (its path is /skip-me, not the full URL): a root span.
    const skipped = byKind(spans, SpanKind.SERVER).find((s) => s.attributes['url.path'] === '/skip-me');
    expect(skipped).toBeDefined();
    expect(skipped?.parentSpanContext).toBeUndefined();
  });
});

describe('header capture', () => {
  it('configured headers are string arrays, credential headers REDACTED', async () => {
    const config: HttpInstrumentationConfig = {
      captureHeaders: {
        serverRequest: ['x-request-id', 'authorization'],
        serverResponse: ['x-served-by', 'set-cookie'],
        clientRequest: ['x-request-id'],
        clientResponse: ['x-served-by', 'x-count'],
      },
    };
    instrumentation.setConfig(config);
    const server = await serve((_req, res) => {
      res.setHeader('x-served-by', 'unit');
      res.setHeader('x-count', 3);
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end();
    });
    await get(`${server.url}/h`, { 'x-request-id': 'r-1', authorization: 'Bearer abc' });
    const spans = await spansOf(1, 1);
    const serverSpan = only(spans, SpanKind.SERVER);
    const client = only(spans, SpanKind.CLIENT);
    expect(serverSpan.attributes).toMatchObject({
      'http.request.header.x-request-id': ['r-1'],
      'http.request.header.authorization': ['REDACTED'],
      'http.response.header.x-served-by': ['unit'],
      'http.response.header.set-cookie': ['REDACTED', 'REDACTED'],
    });
    expect(client.attributes).toMatchObject({
      'http.request.header.x-request-id': ['r-1'],
      'http.response.header.x-served-by': ['unit'],
      'http.response.header.x-count': ['3'],
    });
    // Only what was asked for.
    expect(Object.keys(client.attributes).filter((k) => k.includes('.header.'))).toHaveLength(3);
    expect(JSON.stringify(serverSpan.attributes)).not.toContain('Bearer');
  });
});

describe('failures', () => {
  it('ECONNREFUSED: the client span is an error with the code as error.type and an exception event; the program gets the error', async () => {
    // A port nothing listens on: one that was just closed.
    const closed = await listen(() => {});
    await closed.close();
    const err = await get(`${closed.url}/nowhere`).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).toBe('ECONNREFUSED');
    const client = only(await spansOf(0, 1), SpanKind.CLIENT);
    expect(client.attributes['error.type']).toBe('ECONNREFUSED');
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.status.message).toContain('ECONNREFUSED');
    expect(client.events.map((e) => e.name)).toEqual(['exception']);
    expect(client.attributes['http.response.status_code']).toBeUndefined();
  });

  it('a request destroyed before its response ends its client span once (ECONNRESET, as the program sees it), and the server span when the connection closes', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    // The handler never answers.
    const server = await serve(() => arrived());
    const req = http.request(`${server.url}/slow`, { agent: false });
    const closed = new Promise<unknown>((resolve) => {
      req.on('error', resolve);
      req.on('close', () => resolve(undefined));
    });
    req.end();
    await requestArrived;
    req.destroy();
    // Node reports the destroyed request as 'socket hang up' before it closes.
    expect((await closed) as NodeJS.ErrnoException).toMatchObject({ code: 'ECONNRESET' });
    const spans = await spansOf(1, 1);
    const client = only(spans, SpanKind.CLIENT);
    expect(client.attributes['error.type']).toBe('ECONNRESET');
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    // The server saw the client go away: its span ends with the status code as sent so far, status not set.
    const serverSpan = only(spans, SpanKind.SERVER);
    expect(serverSpan.status.code).toBe(SpanStatusCode.UNSET);
    // Ended once: the SDK says so when a span is ended again.
    expect(diagnostics.filter((m) => ENDED_TWICE.test(m))).toEqual([]);
    expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(1);
  });
});

describe('requests aborted before they are sent', () => {
  it.each([
    // abort() before a socket: Node emits only 'close' (no error): the span says ABORTED.
    ['req.abort()', (req: Http.ClientRequest) => req.abort(), undefined, 'ABORTED'],
    // An AbortSignal: Node emits its AbortError.
    ['an AbortSignal', (_req: Http.ClientRequest, controller: AbortController) => controller.abort(), 'ABORT_ERR', 'ABORT_ERR'],
  ])('%s: the client span ends once, as an error of type %s', async (_how, abort, programSees, errorType) => {
    const server = await serve((_req, res) => res.end());
    const controller = new AbortController();
    const req = http.request(`${server.url}/never-sent`, { agent: false, signal: controller.signal });
    const closed = new Promise<string | undefined>((resolve) => {
      let code: string | undefined;
      req.on('error', (err: NodeJS.ErrnoException) => (code = err.code));
      req.on('close', () => resolve(code));
    });
    req.end();
    abort(req, controller);
    expect(await closed).toBe(programSees);
    const client = only(await spansOf(0, 1), SpanKind.CLIENT);
    expect(client.attributes['error.type']).toBe(errorType);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(diagnostics.filter((m) => ENDED_TWICE.test(m))).toEqual([]);
  });
});

describe('ExpressRouteInstrumentation (express 5, the router package)', () => {
  it('names the server span by the route template, mount paths included, with no span per middleware', async () => {
    const app = express();
    const repos = express.Router();
    repos.get('/repos/:repo', (req, res) => {
      res.send(`repo ${req.params.repo}`);
    });
    app.use((_req, _res, next) => next());
    app.use('/orgs/:org', repos);
    app.get('/users/:id', (req, res) => {
      res.send(`user ${req.params.id}`);
    });
    const server = await serve(app);
    expect((await get(`${server.url}/users/42`)).body).toBe('user 42');
    expect((await get(`${server.url}/orgs/acme/repos/widgets`)).body).toBe('repo widgets');
    const spans = await spansOf(2, 2);
    const servers = byKind(spans, SpanKind.SERVER);
    expect(servers.map((s) => [s.name, s.attributes['http.route']])).toEqual([
      ['GET /users/:id', '/users/:id'],
      ['GET /orgs/:org/repos/:repo', '/orgs/:org/repos/:repo'],
    ]);
    // Only the agent's HTTP spans: no middleware or handler spans.
    expect(spans).toHaveLength(4);
  });

  it('a route that throws: an exception event on the server span, and the 500 carries its message', async () => {
    const app = express();
    app.get('/fail', () => {
      throw new Error('route failed');
    });
    const server = await serve(app);
    expect((await get(`${server.url}/fail`)).status).toBe(500);
    const serverSpan = only(await spansOf(1, 1), SpanKind.SERVER);
    expect(serverSpan.name).toBe('GET /fail');
    expect(serverSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: 'route failed' });
    expect(serverSpan.attributes['error.type']).toBe('500');
    const exception = serverSpan.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('route failed');
  });
});

/** The little of express the tests use (the repository has no @types/express). */
type Handler = (req: Http.IncomingMessage & { params: Record<string, string> }, res: Http.ServerResponse & { send(body: string): void }, next: (err?: unknown) => void) => void;
interface ExpressRouter {
  get(path: string, handler: Handler): void;
  use(...args: (string | Handler | ExpressRouter)[]): void;
}
interface Express {
  (): ExpressRouter & Http.RequestListener;
  Router(): ExpressRouter;
}
