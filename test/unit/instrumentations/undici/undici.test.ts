// The undici instrumentation in process, driven by messages on undici's diagnostics channels (the shapes undici publishes).
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UndiciInstrumentation } from '../../../../src/instrumentations/undici';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
let instrumentation: UndiciInstrumentation;

const publish = (name: string, message: object) => diagnosticsChannel.channel(`undici:${name}`).publish(message);

interface FakeRequest {
  origin: unknown;
  path: string;
  method: string;
  headers: string | string[];
  addHeader?(name: string, value: string): FakeRequest;
}
function fakeRequest(path: string, extra: Partial<FakeRequest> = {}): FakeRequest {
  const request: FakeRequest = {
    origin: 'http://example.test:8080',
    path,
    method: 'GET',
    headers: ['user-agent', 'node', 'x-req', 'q1'],
    addHeader(name, value) {
      (request.headers as string[]).push(name, value);
      return request;
    },
    ...extra,
  };
  return request;
}
const response = (statusCode: number, headers: string[] = []) => ({ statusCode, headers: headers.map((h) => Buffer.from(h)), statusText: '' });
const socket = { remoteAddress: '10.0.0.1', remotePort: 8080, alpnProtocol: false };

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  instrumentation = new UndiciInstrumentation({
    excludedUrls: [/\/health$/],
    captureHeaders: { clientRequest: ['x-req'], clientResponse: ['set-cookie', 'x-resp'] },
  });
  instrumentation.setTracerProvider(provider);
});
afterAll(() => {
  instrumentation.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

describe('UndiciInstrumentation', () => {
  it('a complete request: one span with the request, socket and response attributes; context injected through addHeader', () => {
    const request = fakeRequest('/items?token=abc&page=2');
    publish('request:create', { request });
    publish('client:sendHeaders', { request, headers: '', socket });
    publish('request:headers', { request, response: response(200, ['X-Resp', 'r1', 'set-cookie', 'a=1', 'Set-Cookie', 'b=2']) });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    publish('request:trailers', { request, trailers: [] });
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('GET');
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': 'http://example.test:8080/items?token=REDACTED&page=2',
      'url.scheme': 'http',
      'url.path': '/items',
      'url.query': 'token=REDACTED&page=2',
      'server.address': 'example.test',
      'server.port': 8080,
      'user_agent.original': 'node',
      'http.request.header.x-req': ['q1'],
      'http.response.header.x-resp': ['r1'],
      'http.response.header.set-cookie': ['REDACTED', 'REDACTED'],
      'http.response.status_code': 200,
      'network.peer.address': '10.0.0.1',
      'network.peer.port': 8080,
      'network.protocol.version': '1.1',
    });
    const headers = request.headers as string[];
    expect(headers[headers.indexOf('traceparent') + 1]).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it('parent: the active span where the request is created', () => {
    const parent = provider.getTracer('t').startSpan('parent');
    const request = fakeRequest('/child');
    context.with(trace.setSpan(context.active(), parent), () => publish('request:create', { request }));
    publish('request:trailers', { request, trailers: [] });
    parent.end();
    const child = exporter.getFinishedSpans().find((s) => s.name === 'GET')!;
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('errors: ERROR with the error\'s code; a second error, or trailers after it, change nothing', () => {
    const request = fakeRequest('/reset');
    publish('request:create', { request });
    publish('request:headers', { request, response: response(200) });
    publish('request:error', { request, error: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    publish('request:error', { request, error: new Error('again') });
    publish('request:trailers', { request, trailers: [] });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].status).toEqual({ code: 2, message: 'other side closed' });
    expect(spans[0].attributes).toMatchObject({ 'error.type': 'UND_ERR_SOCKET', 'http.response.status_code': 200 });
    expect(spans[0].events.map((e) => e.name)).toEqual(['exception']);
  });

  it('fetch\'s abort (a DOMException) is ABORT_ERR; a 404 is ERROR with error.type 404', () => {
    const aborted = fakeRequest('/aborted');
    publish('request:create', { request: aborted });
    publish('request:error', { request: aborted, error: new DOMException('This operation was aborted', 'AbortError') });
    const missing = fakeRequest('/missing');
    publish('request:create', { request: missing });
    publish('request:headers', { request: missing, response: response(404) });
    publish('request:trailers', { request: missing, trailers: [] });
    const [a, m] = exporter.getFinishedSpans();
    expect(a.attributes['error.type']).toBe('ABORT_ERR');
    expect(a.status.code).toBe(2);
    expect(m.attributes['error.type']).toBe('404');
    expect(m.status.code).toBe(2);
  });

  it('no span: excluded URLs, CONNECT, suppressed tracing; nothing injected', () => {
    const requests = [fakeRequest('/health'), fakeRequest('/tunnel', { method: 'CONNECT' }), fakeRequest('/suppressed')];
    publish('request:create', { request: requests[0] });
    publish('request:create', { request: requests[1] });
    context.with(suppressTracing(context.active()), () => publish('request:create', { request: requests[2] }));
    for (const request of requests) publish('request:trailers', { request, trailers: [] });
    expect(exporter.getFinishedSpans()).toEqual([]);
    for (const request of requests) expect(request.headers).not.toContain('traceparent');
  });

  it('older undici: headers as text, the origin a URL, a method to normalize', () => {
    const request = fakeRequest('/old', { origin: new URL('https://old.test'), headers: 'User-Agent: undici\r\nX-Req: a\r\nx-req: b\r\n', method: 'purge', addHeader: undefined });
    publish('request:create', { request });
    publish('request:trailers', { request, trailers: [] });
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('HTTP');
    expect(span.attributes).toMatchObject({
      'url.full': 'https://old.test/old',
      'server.port': 443,
      'http.request.method': '_OTHER',
      'http.request.method_original': 'purge',
      'user_agent.original': 'undici',
      'http.request.header.x-req': ['a', 'b'],
    });
    expect(request.headers).toMatch(/\r\ntraceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-01\r\n$/);
  });

  it('spans still open when the process ends (a body never read, a request waiting) end then, once each', () => {
    const unread = fakeRequest('/unread');
    const waiting = fakeRequest('/waiting');
    const done = fakeRequest('/done');
    for (const request of [unread, waiting, done]) publish('request:create', { request });
    publish('request:headers', { request: unread, response: response(200) });
    publish('request:trailers', { request: done, trailers: [] });
    // What the agent's lifecycle calls when the process ends (onProcessEnding); more than one exit path may.
    const endOpen = () => (instrumentation as unknown as { endOpen(): void }).endOpen();
    endOpen();
    endOpen();
    publish('request:trailers', { request: unread, trailers: [] });
    const byPath = new Map(exporter.getFinishedSpans().map((s) => [s.attributes['url.path'], s]));
    expect(exporter.getFinishedSpans()).toHaveLength(3);
    expect(byPath.get('/unread')).toMatchObject({ status: { code: 0 }, attributes: { 'http.response.status_code': 200 } });
    expect(byPath.get('/waiting')).toMatchObject({ status: { code: 2 }, attributes: { 'error.type': 'ABORTED' } });
  });

  it('a fetch Response collected unread: undici cancels its body; the span ends by the response\'s status', () => {
    const request = fakeRequest('/collected');
    publish('request:create', { request });
    publish('request:headers', { request, response: response(200) });
    publish('request:error', { request, error: 'Response object has been garbage collected' });
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ status: { code: 0 }, attributes: { 'http.response.status_code': 200 } });
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('disable() unsubscribes: no span after it', () => {
    instrumentation.disable();
    const request = fakeRequest('/after-disable');
    publish('request:create', { request });
    publish('request:trailers', { request, trailers: [] });
    expect(exporter.getFinishedSpans()).toEqual([]);
    instrumentation.enable();
  });
});
