// Tests for the trace-file reader and kops framing: CRC-32C, exact header bytes, both formats, damage recovery.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { FileSpanExporter } from '../../../src/trace-file/file-span-exporter';
import type { TraceFileFormat } from '../../../src/trace-file/format';
import { crc32c } from '../../../src/trace-file/crc32c';
import {
  decodeObjectType,
  encodeKopsRecord,
  encodeObjectType,
  readKopsHeader,
} from '../../../src/trace-file/kops-framing';
import { parseTraceFile, readTraceFile } from '../../../src/trace-file/read-trace-file';
import { decodeExportTraceServiceRequest } from '../../../src/trace-file/otlp-protobuf';

const TYPE_NAME = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-trace-file-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A small trace using most of the span model: kinds, events, links, status, attribute types. */
function richSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('reader-test', '1.2.3');
  const root = tracer.startSpan('GET /users/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.status_code': 200, big: 2 ** 40, neg: -7, ratio: 0.25, ok: false, empty: '', list: [1, 2, 3] },
  });
  const child = tracer.startSpan(
    'SELECT users',
    { kind: SpanKind.CLIENT, links: [{ context: root.spanContext(), attributes: { why: 'test' } }] },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('row', { count: 1 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return memory.getFinishedSpans();
}

/** Writes each span as its own export (its own line or record); returns the file and the spans. */
function writeFile(format: TraceFileFormat, spans: ReadableSpan[] = richSpans()): { file: string; spans: ReadableSpan[] } {
  const file = path.join(tmp, `traces.${format}`);
  const exporter = new FileSpanExporter({ target: { kind: 'file', path: file }, format });
  for (const span of spans) expect(exporter.exportSync([span])).toBe(true);
  void exporter.shutdown();
  return { file, spans };
}

type Span = { name: string; spanId: string; parentSpanId?: string };
function spanNames(requests: unknown[]): string[] {
  return (requests as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }[]).flatMap((r) =>
    r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))),
  );
}

/** Offsets of the records in a kops file, by walking the headers. */
function recordOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16 + readKopsHeader(bytes, offset).payloadLength) offsets.push(offset);
  return offsets;
}

function withoutEmptyArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyArrays);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => [k, withoutEmptyArrays(v)]),
  );
}

describe('crc32c', () => {
  it('matches the standard check value and the RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('checksums a sub-range', () => {
    expect(crc32c(Buffer.from('xx123456789yy'), 2, 11)).toBe(0xe3069283);
  });
});

describe('kops framing', () => {
  it('writes the 16-byte big-endian header exactly', () => {
    const record = encodeKopsRecord(32, Buffer.from('123456789'));
    expect([...record.subarray(0, 16)]).toEqual([
      0x00, 0x00, 0x00, 0x09, // payload length
      0xe3, 0x06, 0x92, 0x83, // CRC-32C of the payload
      0x00, 0x00, 0x00, 0x00, // flags
      0x00, 0x00, 0x00, 0x20, // type code 32
    ]);
    expect(record.subarray(16).toString()).toBe('123456789');
  });

  it('encodes ObjectType as Go protobuf does, and decodes it back', () => {
    const payload = encodeObjectType({ typeCode: 32, typeName: TYPE_NAME });
    expect([...payload.subarray(0, 4)]).toEqual([0x08, 0x20, 0x12, 64]);
    expect(payload.subarray(4).toString()).toBe(TYPE_NAME);
    expect(decodeObjectType(payload)).toEqual({ typeCode: 32, typeName: TYPE_NAME });
    // Multi-byte varints, and an unknown field (number 3, varint) that a newer writer might add.
    const bigger = Buffer.concat([encodeObjectType({ typeCode: 300, typeName: 'x.Y' }), Buffer.from([0x18, 0x01])]);
    expect([...bigger.subarray(0, 3)]).toEqual([0x08, 0xac, 0x02]);
    expect(decodeObjectType(bigger)).toEqual({ typeCode: 300, typeName: 'x.Y' });
    expect(() => decodeObjectType(Buffer.from([0x12, 0x05, 0x61]))).toThrow(/past the end/);
  });
});

describe('readTraceFile', () => {
  it('reads the same OTLP/JSON objects from both formats', () => {
    const spans = richSpans();
    const jsonl = readTraceFile(writeFile('jsonl', spans).file);
    const kops = readTraceFile(writeFile('kops', spans).file);
    expect(jsonl.format).toBe('jsonl');
    expect(kops.format).toBe('kops');
    expect(jsonl.errors).toEqual([]);
    expect(kops.errors).toEqual([]);
    expect(spanNames(kops.requests)).toEqual(['SELECT users', 'GET /users/:id']);
    // The protobuf decoder must give back what the JSON serializer wrote: this pins every field
    // number and conversion (hex ids, string nanos, enums, events, links, status, attribute types).
    // Only difference allowed: the decoder gives every repeated field, even empty, while the JSON
    // serializer leaves out some empty ones (scope attributes, resource entityRefs).
    expect(withoutEmptyArrays(kops.requests)).toEqual(withoutEmptyArrays(jsonl.requests));
  });

  it('decodes a protobuf request into the OTLP/JSON shape', () => {
    const [child, root] = richSpans();
    const request = decodeExportTraceServiceRequest(ProtobufTraceSerializer.serializeRequest([child])!);
    const span = (request as { resourceSpans: { scopeSpans: { scope: unknown; spans: Record<string, unknown>[] }[] }[] })
      .resourceSpans[0].scopeSpans[0];
    expect(span.scope).toEqual({ name: 'reader-test', version: '1.2.3', attributes: [] });
    expect(span.spans[0]).toMatchObject({
      traceId: root.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: root.spanContext().spanId,
      name: 'SELECT users',
      kind: 3,
      status: { code: 2, message: 'boom' },
      events: [{ name: 'row', attributes: [{ key: 'count', value: { intValue: 1 } }] }],
      links: [{ traceId: root.spanContext().traceId, spanId: root.spanContext().spanId, attributes: [{ key: 'why', value: { stringValue: 'test' } }] }],
    });
    expect(span.spans[0].startTimeUnixNano).toMatch(/^\d{19}$/);
  });

  it('reports a corrupt JSON line by number and still reads the others', () => {
    const { file } = writeFile('jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.splice(1, 0, '{"resourceSpans":[{"scopeSpans":', '[1,2]', '');
    fs.writeFileSync(file, lines.join('\n') + '{"resourceSpans": [');
    const read = readTraceFile(file);
    expect(read.format).toBe('jsonl');
    expect(spanNames(read.requests)).toEqual(['SELECT users', 'GET /users/:id']);
    expect(read.errors.map((e) => e.position)).toEqual(['line 2', 'line 3', 'line 6']);
    expect(read.errors[0].message).toMatch(/^invalid JSON: /);
    expect(read.errors[1].message).toBe('not a JSON object');
    expect(read.errors[2].message).toMatch(/truncated\?/);
  });

  it('skips a kops record with a flipped byte, reporting its number and offset', () => {
    const { file } = writeFile('kops');
    const bytes = fs.readFileSync(file);
    const offsets = recordOffsets(bytes);
    expect(offsets).toHaveLength(3); // ObjectType, then one record per span
    bytes[offsets[1] + 16 + 10] ^= 0x40; // inside the first request's payload
    fs.writeFileSync(file, bytes);

    const read = readTraceFile(file);
    expect(read.format).toBe('kops');
    expect(spanNames(read.requests)).toEqual(['GET /users/:id']);
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0].position).toBe(`record 2 at byte ${offsets[1]}`);
    expect(read.errors[0].message).toMatch(/^CRC-32C mismatch: header says 0x[0-9A-F]{8}, payload has 0x[0-9A-F]{8}$/);
  });

  it('resynchronises after a damaged length field', () => {
    const { file } = writeFile('kops', [...richSpans(), ...richSpans()]);
    const bytes = fs.readFileSync(file);
    const offsets = recordOffsets(bytes);
    bytes[offsets[2] + 2] ^= 0x01; // second request's length is now off by 256
    fs.writeFileSync(file, bytes);

    const read = readTraceFile(file);
    expect(spanNames(read.requests)).toEqual(['SELECT users', 'SELECT users', 'GET /users/:id']);
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0].position).toBe(`record 3 at byte ${offsets[2]}`);
    expect(read.errors[0].message).toContain(`to the next intact record at byte ${offsets[3]}`);
  });

  it('reads a file of fake headers in linear time: the scan for an intact record has a budget per file', () => {
    // Every 16 bytes a plausible header (flags 0, the trace type code) announcing half of what
    // follows, with a wrong CRC: without a budget every offset checksums half the rest of the file.
    const size = 256 * 1024;
    const bytes = Buffer.alloc(size);
    for (let offset = 0; offset + 16 <= size; offset += 16) {
      bytes.writeUInt32BE(Math.max(16, Math.floor((size - offset - 16) / 32) * 16), offset);
      bytes.writeUInt32BE(0xdeadbeef, offset + 4);
      bytes.writeUInt32BE(32, offset + 12);
    }
    const read = parseTraceFile(bytes);
    expect(read.format).toBe('kops');
    expect(read.requests).toEqual([]);
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0].position).toBe('record 1 at byte 0');
    expect(read.errors[0].message).toMatch(/^CRC-32C mismatch: .*; no intact record found after checking (\d+) plausible headers \(the scan limit for a file this size\), the remaining 262144 bytes are skipped$/);
    const checked = Number(/checking (\d+)/.exec(read.errors[0].message)![1]);
    expect(checked).toBeLessThan(size / 16 / 2);
  });

  it('reports a truncated tail and keeps the records before it', () => {
    const { file } = writeFile('kops');
    const bytes = fs.readFileSync(file);
    const offsets = recordOffsets(bytes);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    const read = readTraceFile(file);
    expect(spanNames(read.requests)).toEqual(['SELECT users']);
    expect(read.errors).toEqual([
      {
        position: `record 3 at byte ${offsets[2]}`,
        message: expect.stringMatching(/^truncated record: header announces \d+ payload bytes, \d+ remain; no intact record follows/),
      },
    ]);

    fs.writeFileSync(file, bytes.subarray(0, offsets[2] + 7)); // cut inside a header
    expect(readTraceFile(file).errors[0].message).toMatch(/^truncated header: 7 of 16 bytes/);
  });

  it('reads records without an ObjectType declaration as kops own reader does, and skips unknown types', () => {
    const [child, root] = richSpans();
    const data = Buffer.concat([
      encodeKopsRecord(32, ProtobufTraceSerializer.serializeRequest([child])!),
      encodeKopsRecord(33, Buffer.from('something else')),
      encodeKopsRecord(1, encodeObjectType({ typeCode: 34, typeName: 'example.Other' })),
      encodeKopsRecord(34, Buffer.from('other')),
      encodeKopsRecord(32, ProtobufTraceSerializer.serializeRequest([root])!),
    ]);
    const read = parseTraceFile(data);
    expect(read.format).toBe('kops');
    expect(spanNames(read.requests)).toEqual(['SELECT users', 'GET /users/:id']);
    expect(read.errors.map((e) => e.message)).toEqual([
      'skipped record of undeclared type code 33',
      'skipped record of type example.Other, code 34',
    ]);
    expect(read.errors[0].position).toMatch(/^record 2 at byte \d+$/);
  });

  it('reports an undecodable request payload with an intact CRC', () => {
    const data = Buffer.concat([
      encodeKopsRecord(1, encodeObjectType({ typeCode: 32, typeName: TYPE_NAME })),
      encodeKopsRecord(32, Buffer.from([0x0a, 0x05, 0x01])), // field 1 claims 5 bytes, has 1
    ]);
    const read = parseTraceFile(data);
    expect(read.requests).toEqual([]);
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0].message).toMatch(/^invalid ExportTraceServiceRequest: /);
  });

  it('treats an empty file as JSON Lines with nothing in it, and throws only when the file cannot be read', () => {
    const file = path.join(tmp, 'empty');
    fs.writeFileSync(file, '');
    expect(readTraceFile(file)).toEqual({ format: 'jsonl', requests: [], positions: [], errors: [] });
    expect(() => readTraceFile(path.join(tmp, 'missing'))).toThrow(/ENOENT/);
  });
});
