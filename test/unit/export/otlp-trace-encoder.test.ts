// The agent's OTLP trace encoder against upstream's ProtobufTraceSerializer: the same bytes for the same spans.
import { SpanKind, SpanStatusCode, TraceFlags, type HrTime, type Link } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, emptyResource } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../../src/export/otlp-trace-encoder';
import { seededRandom as random } from '../../helpers/seeded-random';

const STRINGS = ['', 'GET', 'é', 'ünïcödé', '日本語のテキスト', '😀 emoji', 'lone \ud800 surrogate', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(20_000), 'mixé'.repeat(5000)];
const NUMBERS = [0, -0, 1, 127, 128, 300, -1, -128, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 64, 1.5, -2.25, NaN, Infinity, -Infinity, Number.MIN_VALUE];

function value(next: () => number, depth = 0): unknown {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  switch (Math.floor(next() * (depth > 2 ? 5 : 9))) {
    case 0:
      return pick(STRINGS);
    case 1:
      return next() < 0.5;
    case 2:
      return pick(NUMBERS);
    case 3:
      return Math.floor(next() * 1e6);
    case 4:
      return pick([undefined, null, () => 1, 10n, Symbol('s')]);
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    case 6:
      return new Uint8Array(Array.from({ length: Math.floor(next() * 300) }, (_, i) => i & 255));
    case 7:
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 3) }, (_, i) => [`k${i}${pick(STRINGS).slice(0, 10)}`, value(next, depth + 1)]));
    default:
      return pick(STRINGS).slice(0, 200);
  }
}

function attributes(next: () => number, count: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) result[i % 7 === 3 ? `ключ.${i}` : `attr.${i}`] = value(next);
  return result;
}

function hex(next: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += Math.floor(next() * 16).toString(16);
  return s;
}

function time(next: () => number): HrTime {
  const seconds = [0, 1, 1_700_000_000, 4_294_967_295, 2 ** 33][Math.floor(next() * 5)];
  return [seconds + Math.floor(next() * 1000), Math.floor(next() * 1e9)];
}

/** ReadableSpans shaped as the SDK's, with every field varied, over two resources and three scopes. */
function spans(count: number, seed: number): ReadableSpan[] {
  const next = random(seed);
  const resources = [
    resourceFromAttributes({ 'service.name': 'svc', 'host.name': 'höst', n: 3 }),
    resourceFromAttributes({ 'service.name': 'other' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    emptyResource(),
  ];
  const scopes = [
    { name: '@org/otel-agent/instrumentation-http', version: '1.0.0' },
    { name: 'user', version: '', schemaUrl: 'https://example.com/schema' },
    { name: 'attrs', attributes: { a: 1, b: 'two' }, droppedAttributesCount: 2 },
  ];
  const result: ReadableSpan[] = [];
  for (let i = 0; i < count; i++) {
    const traceState = next() < 0.2 ? new TraceState('vendor=a,other=b') : undefined;
    const ctx = { traceId: next() < 0.02 ? 'XYZ-not-hex' + hex(next, 3) : hex(next, 32), spanId: hex(next, 16), traceFlags: next() < 0.9 ? TraceFlags.SAMPLED : 0, traceState };
    const parent = next() < 0.6 ? { traceId: ctx.traceId, spanId: hex(next, 16), traceFlags: 1, isRemote: next() < 0.5 } : undefined;
    const links: Link[] = Array.from({ length: next() < 0.2 ? Math.floor(next() * 3) : 0 }, () => ({
      context: { traceId: hex(next, 32), spanId: hex(next, 16), traceFlags: Math.floor(next() * 3), isRemote: next() < 0.5, traceState },
      attributes: next() < 0.5 ? attributes(next, 2) : undefined,
      droppedAttributesCount: next() < 0.3 ? 4 : undefined,
    }));
    const events = Array.from({ length: next() < 0.3 ? Math.floor(next() * 3) : 0 }, () => ({
      name: next() < 0.5 ? 'exception' : 'évènement',
      time: time(next),
      attributes: next() < 0.7 ? attributes(next, 3) : undefined,
      droppedAttributesCount: next() < 0.3 ? 1 : undefined,
    }));
    const status = [{ code: SpanStatusCode.UNSET }, { code: SpanStatusCode.OK }, { code: SpanStatusCode.ERROR, message: 'boom: ünï' }, { code: SpanStatusCode.ERROR }][Math.floor(next() * 4)];
    const start = time(next);
    result.push({
      name: next() < 0.1 ? 'ñame ' + 'n'.repeat(200) : `GET /users/${i}`,
      kind: [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER, undefined][Math.floor(next() * 6)] as SpanKind,
      spanContext: () => ctx,
      parentSpanContext: parent,
      startTime: start,
      endTime: [start[0] + 1, start[1]],
      status,
      attributes: attributes(next, Math.floor(next() * 20)),
      links,
      events,
      duration: [1, 0],
      ended: true,
      resource: resources[Math.floor(next() * resources.length)],
      instrumentationScope: scopes[Math.floor(next() * scopes.length)],
      droppedAttributesCount: Math.floor(next() * 3),
      droppedEventsCount: next() < 0.1 ? 300 : 0,
      droppedLinksCount: next() < 0.1 ? 1 : 0,
    });
  }
  return result;
}

const upstream = (batch: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);
const ours = (batch: ReadableSpan[]) => Buffer.from(encodeTraceRequest(batch));

describe('encodeTraceRequest', () => {
  it('writes the bytes upstream writes, batch after batch, over varied spans (every value type, unicode, events, links, status, odd ids)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const batch = spans(seed * 7, seed);
      const expected = upstream(batch);
      // Twice: the second time the resources' and scopes' bytes come from the cache.
      expect(ours(batch).equals(expected), `seed ${seed}`).toBe(true);
      expect(ours(batch).equals(expected), `seed ${seed}, again`).toBe(true);
    }
  });

  it('writes a batch over 2 MiB (four-byte lengths) and then a small one from a buffer sized back down', () => {
    const big = spans(60, 99).map((span, i) => ({ ...span, spanContext: span.spanContext, attributes: { blob: 'b'.repeat(50_000 + i) } }));
    expect(ours(big).length).toBeGreaterThan(2 * 1024 * 1024);
    expect(ours(big).equals(upstream(big))).toBe(true);
    const small = spans(3, 5);
    expect(ours(small).equals(upstream(small))).toBe(true);
  });

  it('writes an empty request for no spans, as upstream', () => {
    expect(ours([]).equals(upstream([]))).toBe(true);
  });

  it('writes the spans the SDK records (real SpanImpl objects, a resource with pending attributes encoded again once settled)', async () => {
    let settle!: (value: string) => void;
    const pending = new Promise<string>((resolve) => (settle = resolve));
    const resource = resourceFromAttributes({ 'service.name': 'sdk', 'container.id': pending });
    // Collected at onEnd: the SDK's simple processor would wait for the resource to settle.
    const ended: ReadableSpan[] = [];
    const collect = { onStart() {}, onEnd: (span: ReadableSpan) => void ended.push(span), forceFlush: async () => {}, shutdown: async () => {} };
    const provider = new TracerProvider({ resource, spanProcessors: [collect] });
    const tracer = provider.getTracer('real', '2.0');
    const record = () => {
      const span = tracer.startSpan('op', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', n: 1, list: ['a', 'b'] } });
      span.addEvent('e', { k: 'v' });
      span.recordException(new Error('bad'));
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'bad' });
      span.end();
    };
    record();
    const before = [...ended];
    expect(before).toHaveLength(1);
    expect(ours(before).equals(upstream(before))).toBe(true);
    settle('abc123');
    expect(ours(before).includes(Buffer.from('abc123'))).toBe(false);
    // The provider merges the resource into its own: that one is the spans' resource.
    await before[0].resource.waitForAsyncAttributes?.();
    record();
    const after = [...ended];
    expect(ours(after).equals(upstream(after))).toBe(true);
    expect(ours(after).includes(Buffer.from('abc123'))).toBe(true);
  });
});

describe('the encoder with more keys than it caches', () => {
  it('writes the same bytes for 3000 distinct attribute keys and for values that keep changing under one key', () => {
    const [template] = spans(1, 7);
    const manyKeys = Array.from({ length: 6 }, (_, i) => ({
      ...template,
      spanContext: template.spanContext,
      attributes: Object.fromEntries(Array.from({ length: 500 }, (_, j) => [`k.${i}.${j}`, j % 3 === 0 ? 'v' : j])),
    }));
    expect(ours(manyKeys).equals(upstream(manyKeys))).toBe(true);
    const changing = Array.from({ length: 100 }, (_, i) => ({ ...template, spanContext: template.spanContext, attributes: { 'url.path': `/users/${i % 40}`, 'http.response.status_code': i % 2 ? 200 : 404, flag: i % 3 === 0 } }));
    for (let round = 0; round < 3; round++) expect(ours(changing).equals(upstream(changing)), `round ${round}`).toBe(true);
  });
});

describe('ProtobufTraceEncoder', () => {
  it("falls back to upstream's serializer for a batch the encoder cannot write", async () => {
    const { ProtobufTraceEncoder } = await import('../../../src/export/otlp-trace-encoder');
    const [template] = spans(1, 3);
    // A hex id getter that throws on the agent's first read only: upstream's second read succeeds.
    let reads = 0;
    const odd = { ...template, spanContext: () => (reads++ === 0 ? (undefined as never) : template.spanContext()) };
    const body = ProtobufTraceEncoder.serializeRequest([odd]);
    expect(Buffer.from(body!).equals(upstream([template]))).toBe(true);
  });
});

describe('spans encoded at their end', () => {
  it('make the bytes upstream writes for the same spans, mixed with spans encoded in the batch, across slabs', async () => {
    const { encodeSpanAtEnd, EncodedSpan } = await import('../../../src/export/otlp-trace-encoder');
    for (let seed = 1; seed <= 12; seed++) {
      const batch = spans(seed * 40, 100 + seed);
      const queued = batch.map((span, i) => (i % 3 === 2 ? span : encodeSpanAtEnd(span)));
      expect(queued.filter((s) => s instanceof EncodedSpan).length).toBeGreaterThan(0);
      expect(Buffer.from(encodeTraceRequest(queued)).equals(upstream(batch)), `seed ${seed}`).toBe(true);
    }
  });

  it('make the same bytes for spans larger than a slab (one 1 MiB attribute each)', async () => {
    const { encodeSpanAtEnd } = await import('../../../src/export/otlp-trace-encoder');
    const big = spans(4, 77).map((span, i) => ({ ...span, spanContext: span.spanContext, attributes: { blob: 'b'.repeat(1024 * 1024 + i), n: i } }));
    expect(Buffer.from(encodeTraceRequest(big.map(encodeSpanAtEnd))).equals(upstream(big))).toBe(true);
  });

  it('leave a span that cannot be encoded as it is (the batch then fails as before)', async () => {
    const { encodeSpanAtEnd } = await import('../../../src/export/otlp-trace-encoder');
    const [template] = spans(1, 9);
    const broken = { ...template, spanContext: () => undefined as never };
    expect(encodeSpanAtEnd(broken)).toBe(broken);
    const next = spans(3, 10);
    expect(Buffer.from(encodeTraceRequest(next.map(encodeSpanAtEnd))).equals(upstream(next))).toBe(true);
  });
});
