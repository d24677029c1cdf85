// Tests that OTLP/JSON spans rebuilt as ReadableSpans re-encode, through the upstream protobuf serializer, to the same data.
import { describe, it, expect } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeExportTraceServiceRequest } from '../../../src/trace-file/otlp-protobuf';
import { ReadableSpanConverter, hrTime } from '../../../src/trace-file/to-readable-span';
import { spansOf, type OtlpTracesData } from '../../../src/trace-file/otlp-json';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PARENT = '00f067aa0ba902b7';
const LINK_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const LINK_SPAN = '53995c3f42cd8ad8';

/** Every AnyValue kind, nested, plus the edge cases of each. */
const ATTRIBUTES = [
  { key: 'str', value: { stringValue: 'héllo "quoted" </script>' } },
  { key: 'empty.str', value: { stringValue: '' } },
  { key: 'bool', value: { boolValue: false } },
  { key: 'int', value: { intValue: 42 } },
  { key: 'int.neg', value: { intValue: '-9007199254740991' } },
  { key: 'int.big', value: { intValue: 1099511627776 } },
  { key: 'double', value: { doubleValue: 0.25 } },
  { key: 'double.neg', value: { doubleValue: -1.5e-7 } },
  { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2, 254, 255]).toString('base64') } },
  { key: 'empty', value: {} },
  {
    key: 'array.mixed',
    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, { boolValue: true }, { doubleValue: 2.5 }, { arrayValue: { values: [{ stringValue: 'nested' }] } }] } },
  },
  { key: 'array.empty', value: { arrayValue: { values: [] } } },
  {
    key: 'kvlist',
    value: {
      kvlistValue: {
        values: [
          { key: 'inner', value: { stringValue: 'v' } },
          { key: 'deeper', value: { kvlistValue: { values: [{ key: 'n', value: { intValue: 7 } }] } } },
          { key: 'bytes', value: { bytesValue: 'AQID' } },
        ],
      },
    },
  },
];

function richDoc(): OtlpTracesData {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'replayed' } },
            { key: 'host.cores', value: { intValue: 8 } },
            { key: 'resource.complex', value: { kvlistValue: { values: [{ key: 'a', value: { stringValue: 'b' } }] } } },
          ],
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeSpans: [
          {
            scope: { name: 'fixture-scope', version: '2.0.1', attributes: [{ key: 'scope.attr', value: { boolValue: true } }] },
            schemaUrl: 'https://opentelemetry.io/schemas/1.27.0',
            spans: [
              {
                traceId: TRACE,
                spanId: SPAN,
                parentSpanId: PARENT,
                traceState: 'vendor=abc,other=1',
                flags: 0x301,
                name: 'rich span',
                kind: 3,
                startTimeUnixNano: '1763700000123456789',
                endTimeUnixNano: '1763700001987654321',
                attributes: ATTRIBUTES,
                droppedAttributesCount: 2,
                events: [
                  { timeUnixNano: '1763700000500000001', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }], droppedAttributesCount: 1 },
                  { timeUnixNano: '1763700000600000002', name: 'bare' },
                ],
                droppedEventsCount: 3,
                links: [
                  { traceId: LINK_TRACE, spanId: LINK_SPAN, traceState: 'k=v', attributes: [{ key: 'why', value: { stringValue: 'batch' } }], droppedAttributesCount: 4, flags: 0x101 },
                ],
                droppedLinksCount: 5,
                status: { code: 2, message: 'it failed' },
              },
              {
                traceId: TRACE,
                spanId: PARENT,
                name: 'root, kind unspecified',
                kind: 0,
                startTimeUnixNano: '1763700000000000000',
                endTimeUnixNano: '1763700002000000000',
                status: {},
              },
            ],
          },
        ],
      },
    ],
  };
}

// Decoded OTLP JSON, read field by field in the assertions below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Re-encodes the document's spans with the upstream protobuf serializer and decodes the bytes again. */
function roundTrip(doc: OtlpTracesData): Json {
  const converter = new ReadableSpanConverter();
  const spans = [...spansOf(doc)].map((r) => converter.convert(r));
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  expect(bytes).toBeInstanceOf(Uint8Array);
  return decodeExportTraceServiceRequest(bytes!) as Json;
}

describe('ReadableSpanConverter + the upstream protobuf serializer', () => {
  it('keeps ids, nanosecond timestamps, every AnyValue kind, events, links, status, flags and dropped counts', () => {
    const out = roundTrip(richDoc());
    expect(out.resourceSpans).toHaveLength(1);
    const rs = out.resourceSpans[0];
    expect(rs.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
    expect(rs.resource.attributes).toEqual(richDoc().resourceSpans[0].resource!.attributes);
    expect(rs.scopeSpans).toHaveLength(1);
    const ss = rs.scopeSpans[0];
    expect(ss.scope).toEqual({ name: 'fixture-scope', version: '2.0.1', attributes: [{ key: 'scope.attr', value: { boolValue: true } }] });
    expect(ss.schemaUrl).toBe('https://opentelemetry.io/schemas/1.27.0');
    const [span, root] = ss.spans;

    expect(span.traceId).toBe(TRACE);
    expect(span.spanId).toBe(SPAN);
    expect(span.parentSpanId).toBe(PARENT);
    expect(span.traceState).toBe('vendor=abc,other=1');
    expect(span.flags).toBe(0x301);
    expect(span.name).toBe('rich span');
    expect(span.kind).toBe(3);
    expect(span.startTimeUnixNano).toBe('1763700000123456789');
    expect(span.endTimeUnixNano).toBe('1763700001987654321');
    // The decoder gives safe integers as numbers: compare against the same normalization.
    const expected = ATTRIBUTES.map((a) => (a.key === 'int.neg' ? { key: a.key, value: { intValue: -9007199254740991 } } : a));
    expect(span.attributes).toEqual(expected);
    expect(span.droppedAttributesCount).toBe(2);
    expect(span.events).toEqual([
      { timeUnixNano: '1763700000500000001', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }], droppedAttributesCount: 1 },
      { timeUnixNano: '1763700000600000002', name: 'bare', attributes: [], droppedAttributesCount: 0 },
    ]);
    expect(span.droppedEventsCount).toBe(3);
    expect(span.links).toEqual([
      { traceId: LINK_TRACE, spanId: LINK_SPAN, traceState: 'k=v', attributes: [{ key: 'why', value: { stringValue: 'batch' } }], droppedAttributesCount: 4, flags: 0x101 },
    ]);
    expect(span.droppedLinksCount).toBe(5);
    expect(span.status).toEqual({ code: 2, message: 'it failed' });

    expect(root.spanId).toBe(PARENT);
    expect(root.parentSpanId).toBeUndefined();
    expect(root.kind).toBeUndefined(); // SPAN_KIND_UNSPECIFIED: the zero value is not on the wire
    expect(root.startTimeUnixNano).toBe('1763700000000000000');
  });

  it('accepts base64 ids (protobuf JSON) and shares one resource object per distinct resource', () => {
    const doc = richDoc();
    const span = doc.resourceSpans[0].scopeSpans![0].spans![1];
    span.traceId = Buffer.from(TRACE, 'hex').toString('base64');
    span.spanId = Buffer.from(PARENT, 'hex').toString('base64');
    doc.resourceSpans.push(structuredClone(doc.resourceSpans[0]));
    const converter = new ReadableSpanConverter();
    const spans = [...spansOf(doc)].map((r) => converter.convert(r));
    expect(spans[1].spanContext().traceId).toBe(TRACE);
    expect(spans[1].spanContext().spanId).toBe(PARENT);
    expect(new Set(spans.map((s) => s.resource)).size).toBe(1);
    expect(spans[0].duration).toEqual([1, 864197532]);
  });

  it('rejects spans it cannot rebuild, naming the field', () => {
    const converter = new ReadableSpanConverter();
    const bad = (patch: Json) => {
      const doc = richDoc();
      Object.assign(doc.resourceSpans[0].scopeSpans![0].spans![0], patch);
      return () => converter.convert([...spansOf(doc)][0]);
    };
    expect(bad({ traceId: 'xyz' })).toThrow(/traceId/);
    expect(bad({ spanId: '0000000000000000' })).toThrow(/spanId is all zeros/);
    expect(bad({ startTimeUnixNano: 'yesterday' })).toThrow(/startTimeUnixNano/);
    expect(bad({ links: [{ traceId: TRACE }] })).toThrow(/links\[0\]\.spanId/);
  });

  it('converts nanoseconds to HrTime exactly', () => {
    expect(hrTime(1763700000123456789n)).toEqual([1763700000, 123456789]);
    expect(hrTime(999n)).toEqual([0, 999]);
  });
});
