// In-process HTTP tests: the real SDK with an in-memory exporter, the agent's instrumentations enabled, node:http patched.
//
// How node:http gets patched in vitest: InstrumentationBase.enable() installs require-in-the-middle, which
// patches a module when it is next loaded through Module.prototype.require. Vitest loads a test's own
// `import`s through its module runner (Node's ESM loader for node: built-ins), which that hook never
// sees, so node:http and the frameworks are loaded with a real CommonJS `require` (createRequire), after
// enable(). The patched exports are the same objects the rest of the process sees.
import { context, diag, DiagLogLevel, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** What the SDK logs when a span is ended, or changed, after it ended. */
export const ENDED_TWICE = /only call end\(\) on a span once|on ended Span/;

/** The in-memory exporter, telling waiting tests when the spans they wait for have been exported. */
export class WatchedExporter extends InMemorySpanExporter {
  private waiters: { until: (spans: ReadableSpan[]) => boolean; resolve: (spans: ReadableSpan[]) => void }[] = [];

  override export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    super.export(spans, resultCallback);
    const finished = this.getFinishedSpans();
    this.waiters = this.waiters.filter((w) => !(w.until(finished) && (w.resolve(finished), true)));
  }

  /** Resolves with every finished span once `until` holds for them (at once if it already does). */
  spansWhen(until: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]> {
    const finished = this.getFinishedSpans();
    if (until(finished)) return Promise.resolve(finished);
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const byKind = (spans: ReadableSpan[], kind: SpanKind) => spans.filter((s) => s.kind === kind);

/** The one span of `kind` among `spans` (the test fails when there are more or none). */
export function only(spans: ReadableSpan[], kind: SpanKind): ReadableSpan {
  const found = byKind(spans, kind);
  expect(found, `${SpanKind[kind]} spans`).toHaveLength(1);
  return found[0];
}

/**
 * Enables `instrumentations` with a tracer provider exporting to an in-memory exporter, then loads node:http
 * (patched). Registers the test file's hooks: the global context manager (AsyncLocalStorage), W3C
 * propagation and a diag logger for the file; after each test the spans are forgotten and the servers closed.
 */
export function inProcessHttp(instrumentations: InstrumentationBase[]) {
  const exporter = new WatchedExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();
  /** Diagnostics of the SDK (a span ended twice is one) and of the instrumentations. */
  const diagnostics: string[] = [];
  for (const i of instrumentations) {
    i.setTracerProvider(provider);
    i.enable();
  }
  // After enable(): require-in-the-middle patches what is required from now on.
  const nodeRequire = createRequire(__filename);
  const http = nodeRequire('node:http') as typeof Http;

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    diag.setLogger(
      { error: (m) => diagnostics.push(m), warn: (m) => diagnostics.push(m), info: () => {}, debug: (m) => diagnostics.push(m), verbose: () => {} },
      DiagLogLevel.DEBUG,
    );
  });
  let servers: Listening[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    exporter.reset();
    diagnostics.length = 0;
  });
  afterAll(async () => {
    for (const i of instrumentations) i.disable();
    diag.disable();
    propagation.disable();
    context.disable();
    await provider.shutdown();
  });

  /** A server on 127.0.0.1 with an ephemeral port. */
  async function listen(handler: Http.RequestListener): Promise<Listening> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  /** A server closed after the test. */
  async function serve(handler: Http.RequestListener): Promise<Listening> {
    const server = await listen(handler);
    servers.push(server);
    return server;
  }

  /** GET through the patched http.request; resolves with the status and body once the response has ended. */
  function get(url: string, headers: Http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string; headers: Http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Waits for `servers` server spans and `clients` client spans. */
  const spansOf = (servers: number, clients: number) =>
    exporter.spansWhen((spans) => byKind(spans, SpanKind.SERVER).length >= servers && byKind(spans, SpanKind.CLIENT).length >= clients);

  return { exporter, diagnostics, nodeRequire, http, listen, serve, get, spansOf };
}
