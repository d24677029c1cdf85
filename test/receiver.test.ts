// Proves the test OTLP receiver decodes exactly what the real upstream OTLP exporters send, per transport.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  normalizeTracesData,
  startReceiver,
  type ReceivedSpan,
  type Receiver,
  type Transport,
} from './helpers/otlp-receiver';

// The exporters type `compression` as an enum from a package we don't depend on directly.
type HttpCompression = NonNullable<NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>['compression']>;
const GZIP = 'gzip' as HttpCompression;

const AUTH = 'Bearer receiver-test-token';

/** One value of every wire type: int vs double, false/0/'' defaults, negative and >32-bit varints. */
const PARENT_ATTRIBUTES = {
  'http.request.method': 'GET',
  'http.response.status_code': 200,
  'sample.ratio': 0.25,
  'cache.hit': false,
  'retry.count': 0,
  'offset.negative': -42,
  'bytes.total': 2 ** 40,
  'empty.string': '',
  'tags': ['a', 'b'],
  'ports': [80, 443],
  'ratios': [0.5, 1.5],
  'flags': [true, false],
} satisfies Attributes;

/** AnyValue-only shapes the 3.x SDK accepts on spans: bytes, maps, heterogeneous arrays with nulls. */
const CHILD_ATTRIBUTES = {
  'peer.service': 'db',
  'payload': new Uint8Array([0, 1, 254, 255]),
  'user': { name: 'ada', admin: true, level: 3 },
  'mixed': ['x', 1, null],
} satisfies Attributes;

const LINKED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };

/** Wraps the real exporter to keep the SDK's own view of each export and its outcome. */
class TapExporter implements SpanExporter {
  readonly exported: ReadableSpan[] = [];
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exported.push(...spans);
    this.inner.export(spans, (result) => {
      this.results.push(result);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

interface Emitted {
  parent: ReadableSpan;
  child: ReadableSpan;
  results: ExportResult[];
  flushError: unknown;
}

/** Export a SERVER parent and its CLIENT child (event, link, error status) through `exporter`. */
async function emitTrace(exporter: SpanExporter): Promise<Emitted> {
  const tap = new TapExporter(exporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: tap })],
  });
  const tracer = provider.getTracer('receiver-test-scope', '1.2.3');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER, attributes: PARENT_ATTRIBUTES });
  const child = tracer.startSpan(
    'child',
    {
      kind: SpanKind.CLIENT,
      attributes: CHILD_ATTRIBUTES,
      links: [{ context: LINKED, attributes: { 'link.reason': 'batch' } }],
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  child.addEvent('retry', { attempt: 2, reason: 'timeout' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  child.end();
  parent.end();

  let flushError: unknown;
  // forceFlush rejects when an export failed, which is exactly what the failure tests look for.
  await provider.forceFlush().catch((error: unknown) => (flushError = error));
  await provider.shutdown();
  const byName = (name: string): ReadableSpan => {
    const span = tap.exported.find((s) => s.name === name);
    if (!span) throw new Error(`SDK never exported ${name}`);
    return span;
  };
  return { parent: byName('parent'), child: byName('child'), results: tap.results, flushError };
}

/** SimpleSpanProcessor sends each span in its own, concurrent request, so arrival order varies. */
function sortByName(spans: ReceivedSpan[]): ReceivedSpan[] {
  return [...spans].sort((a, b) => a.name.localeCompare(b.name));
}

function nanos([seconds, nanoseconds]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}

/** What the receiver must produce for `emitTrace` (sorted by name), with ids and times taken from the SDK. */
function expectedSpans({ parent, child }: Emitted, transport: Transport): ReceivedSpan[] {
  const common = {
    traceId: parent.spanContext().traceId,
    resource: { 'service.name': 'receiver-test' },
    scope: { name: 'receiver-test-scope', version: '1.2.3' },
    transport,
  };
  return [
    {
      ...common,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      name: 'child',
      kind: 3, // SPAN_KIND_CLIENT
      startTimeUnixNano: nanos(child.startTime),
      endTimeUnixNano: nanos(child.endTime),
      attributes: CHILD_ATTRIBUTES,
      events: [
        { name: 'retry', timeUnixNano: nanos(child.events[0]!.time), attributes: { attempt: 2, reason: 'timeout' } },
      ],
      links: [{ traceId: LINKED.traceId, spanId: LINKED.spanId, attributes: { 'link.reason': 'batch' } }],
      status: { code: 2, message: 'upstream failed' }, // STATUS_CODE_ERROR
    },
    {
      ...common,
      spanId: parent.spanContext().spanId,
      parentSpanId: undefined,
      name: 'parent',
      kind: 2, // SPAN_KIND_SERVER
      startTimeUnixNano: nanos(parent.startTime),
      endTimeUnixNano: nanos(parent.endTime),
      attributes: PARENT_ATTRIBUTES,
      events: [],
      links: [],
      status: { code: 0, message: undefined },
    },
  ];
}

type MakeExporter = (r: Receiver, timeoutMillis?: number) => SpanExporter;
const transports: { transport: Transport; path: string; makeExporter: MakeExporter }[] = [
  {
    transport: 'http/protobuf',
    path: '/v1/traces',
    makeExporter: (r, timeoutMillis) =>
      new ProtoExporter({ url: `${r.httpUrl}/v1/traces`, headers: { Authorization: AUTH }, timeoutMillis }),
  },
  {
    transport: 'http/json',
    path: '/v1/traces',
    makeExporter: (r, timeoutMillis) =>
      new JsonExporter({ url: `${r.httpUrl}/v1/traces`, headers: { Authorization: AUTH }, timeoutMillis }),
  },
  {
    transport: 'grpc',
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    makeExporter: (r, timeoutMillis) => {
      const metadata = new Metadata();
      metadata.set('authorization', AUTH);
      return new GrpcExporter({ url: r.grpcUrl, metadata, timeoutMillis });
    },
  },
];

describe('OTLP test receiver', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.reset();
  });

  describe.each(transports)('$transport', ({ transport, path, makeExporter }) => {
    it('decodes parent and child exactly as the SDK created them', async () => {
      // Registered before anything is sent: proves waitForSpans reacts to arrivals.
      const arrived = receiver.waitForSpans((spans) => spans.length >= 2);
      const emitted = await emitTrace(makeExporter(receiver));

      expect(emitted.flushError).toBeUndefined();
      expect(emitted.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
      expect(sortByName(await arrived)).toStrictEqual(expectedSpans(emitted, transport));
      expect(receiver.requests).toHaveLength(2);
      for (const request of receiver.requests) {
        expect(request).toMatchObject({ transport, path, headers: { authorization: AUTH } });
      }
    });

    it("fails the export and records nothing under the 'status' 500 behavior", async () => {
      receiver.setBehavior({ kind: 'status', code: 500 });
      const emitted = await emitTrace(makeExporter(receiver));

      // TracerProvider.forceFlush rejects with an array: one error per failing span processor.
      expect(emitted.flushError).toMatchObject([{ code: transport === 'grpc' ? GrpcStatus.UNAVAILABLE : 500 }]);
      expect(emitted.results.map((r) => r.code)).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED]);
      expect(receiver.spans).toEqual([]);
      // 500 (and gRPC UNAVAILABLE in this exporter version) is not retried: one request per span.
      expect(receiver.requests).toHaveLength(2);
    });

    it("records the spans but answers late under 'delay'", async () => {
      receiver.setBehavior({ kind: 'delay', ms: 150 });
      const started = Date.now();
      const emitted = await emitTrace(makeExporter(receiver));

      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(emitted.flushError).toBeUndefined();
      expect(sortByName(receiver.spans)).toStrictEqual(expectedSpans(emitted, transport));
    });

    it("drops the connection under 'reset', then serves again", async () => {
      receiver.setBehavior({ kind: 'reset' });
      // HTTP retries connection resets after ~1s backoff; a short timeout makes it give up first.
      const failed = await emitTrace(makeExporter(receiver, 500));

      expect(failed.results.map((r) => r.code)).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED]);
      expect(receiver.requests.length).toBeGreaterThan(0);
      expect(receiver.spans).toEqual([]);

      receiver.setBehavior({ kind: 'ok' });
      const emitted = await emitTrace(makeExporter(receiver));
      expect(sortByName(receiver.spans)).toStrictEqual(expectedSpans(emitted, transport));
    });
  });

  it.each(['http/protobuf', 'http/json'] as const)('inflates gzip request bodies (%s)', async (transport) => {
    const Exporter = transport === 'http/json' ? JsonExporter : ProtoExporter;
    const emitted = await emitTrace(new Exporter({ url: `${receiver.httpUrl}/v1/traces`, compression: GZIP }));

    expect(emitted.flushError).toBeUndefined();
    expect(sortByName(receiver.spans)).toStrictEqual(expectedSpans(emitted, transport));
    expect(receiver.requests.map((r) => r.headers['content-encoding'])).toEqual(['gzip', 'gzip']);
  });

  it('rejects waitForSpans on timeout, naming what did arrive', async () => {
    await emitTrace(new ProtoExporter({ url: `${receiver.httpUrl}/v1/traces` }));

    const started = Date.now();
    const error = await receiver
      .waitForSpans((spans) => spans.some((s) => s.name === 'never'), 50)
      .catch((e: unknown) => e);

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(Error);
    const { message } = error as Error;
    expect(message).toMatch(
      /^waitForSpans: predicate still false after 50ms; received 2 span\(s\): .* in 2 request\(s\)$/,
    );
    // Listed in arrival order, which varies between runs.
    expect(message).toContain('"child" (http/protobuf)');
    expect(message).toContain('"parent" (http/protobuf)');
  });

  it('answers 404 on unknown paths and accepts spec-style OTLP/JSON (string ints, enum names, gzip)', async () => {
    expect((await fetch(`${receiver.httpUrl}/v1/metrics`, { method: 'POST' })).status).toBe(404);

    // Spec spellings the JS exporter never uses (string int64s and timestamps, empty parentSpanId),
    // plus leniencies the receiver allows (upper-case hex ids, enum names).
    const line = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other-sdk' } }] },
          scopeSpans: [
            {
              scope: { name: 'manual' },
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  parentSpanId: '',
                  name: 'op',
                  kind: 'SPAN_KIND_CONSUMER',
                  startTimeUnixNano: '1544712660000000000',
                  endTimeUnixNano: '1544712661000000000',
                  attributes: [
                    { key: 'n', value: { intValue: '9007199254740993' } }, // 2^53 + 1: rounds to a double
                    { key: 'd', value: { doubleValue: 'Infinity' } },
                    { key: 'b', value: { bytesValue: 'AAH+/w==' } },
                  ],
                  status: { code: 'STATUS_CODE_OK' },
                },
              ],
            },
          ],
        },
      ],
    };
    const response = await fetch(`${receiver.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(JSON.stringify(line)),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{}');

    const expected: ReceivedSpan[] = [
      {
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: undefined,
        name: 'op',
        kind: 5,
        startTimeUnixNano: 1544712660000000000n,
        endTimeUnixNano: 1544712661000000000n,
        attributes: { n: 9007199254740992, d: Infinity, b: new Uint8Array([0, 1, 254, 255]) },
        events: [],
        links: [],
        status: { code: 1, message: undefined },
        resource: { 'service.name': 'other-sdk' },
        scope: { name: 'manual', version: undefined },
        transport: 'http/json',
      },
    ];
    expect(receiver.spans).toStrictEqual(expected);
    // The same normalizer serves JSON-Lines trace files.
    expect(normalizeTracesData(line, 'http/json')).toStrictEqual(expected);
  });
});
