// kops' binary trace-file framing (kubernetes/kops pkg/otel/otlptracefile): record headers and the ObjectType record.
//
// A file is a sequence of records, each a 16-byte big-endian header followed by the payload:
//   uint32 payload length | uint32 CRC-32C of the payload | uint32 flags (0) | uint32 type code
// Type code 1 is kops' own `otlptracefile.ObjectType` message, which declares the name of the
// protobuf type behind a dynamically assigned code; the kops writer assigns codes from 32 upwards, so
// in a trace file 32 is `ExportTraceServiceRequest`. kops' reader (tools/otel/traceserver) hard-codes
// both codes, so we write exactly the same ones.
import { crc32c } from './crc32c';

export const KOPS_HEADER_BYTES = 16;
/** pb.WellKnownTypeCode_ObjectType in kops' file.proto. */
export const KOPS_TYPE_CODE_OBJECT_TYPE = 1;
/** The first code kops' writer assigns, which is always the trace request in a trace file. */
export const KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST = 32;
/** Full protobuf name the kops writer records for type code 32 (Descriptor().FullName()). */
export const EXPORT_TRACE_REQUEST_TYPE_NAME = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

export interface KopsRecordHeader {
  payloadLength: number;
  checksum: number;
  flags: number;
  typeCode: number;
}

/** kops' `message ObjectType { uint32 type_code = 1; string type_name = 2; }`. */
export interface KopsObjectType {
  typeCode: number;
  typeName: string;
}

/** Header plus payload in one buffer, so that a record goes to the file in a single write. */
export function encodeKopsRecord(typeCode: number, payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(KOPS_HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(crc32c(payload), 4);
  record.writeUInt32BE(0, 8);
  record.writeUInt32BE(typeCode >>> 0, 12);
  record.set(payload, KOPS_HEADER_BYTES);
  return record;
}

/** Reads the header at `offset`; the caller checks that 16 bytes are there. */
export function readKopsHeader(buf: Uint8Array, offset: number): KopsRecordHeader {
  const view = new DataView(buf.buffer, buf.byteOffset + offset, KOPS_HEADER_BYTES);
  return {
    payloadLength: view.getUint32(0),
    checksum: view.getUint32(4),
    flags: view.getUint32(8),
    typeCode: view.getUint32(12),
  };
}

// ObjectType is kops' own two-field message, not OTLP, so it is encoded here by hand; the bytes
// match Go's proto.Marshal: fields in number order, proto3 zero values omitted.
export function encodeObjectType(objectType: KopsObjectType): Buffer {
  const parts: number[] = [];
  const code = objectType.typeCode >>> 0;
  if (code !== 0) {
    parts.push(0x08); // field 1, wire type 0 (varint)
    pushVarint(parts, code);
  }
  const name = Buffer.from(objectType.typeName, 'utf8');
  if (name.length > 0) {
    parts.push(0x12); // field 2, wire type 2 (length-delimited)
    pushVarint(parts, name.length);
  }
  return Buffer.concat([Buffer.from(parts), name]);
}

/** Decodes an ObjectType payload; throws on malformed protobuf. Unknown fields are skipped. */
export function decodeObjectType(payload: Uint8Array): KopsObjectType {
  const result: KopsObjectType = { typeCode: 0, typeName: '' };
  let pos = 0;
  while (pos < payload.length) {
    let key: number;
    [key, pos] = readVarint(payload, pos);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) {
      let value: number;
      [value, pos] = readVarint(payload, pos);
      if (field === 1) result.typeCode = value >>> 0;
    } else if (wireType === 2) {
      let length: number;
      [length, pos] = readVarint(payload, pos);
      if (pos + length > payload.length) throw new Error('length-delimited field runs past the end');
      if (field === 2) result.typeName = UTF8.decode(payload.subarray(pos, pos + length));
      pos += length;
    } else if (wireType === 1 || wireType === 5) {
      pos += wireType === 1 ? 8 : 4;
      if (pos > payload.length) throw new Error('fixed-width field runs past the end');
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }
  return result;
}

/** The ObjectType record the kops writer puts before the first trace request in a file. */
export const TRACE_REQUEST_OBJECT_TYPE_RECORD: Buffer = encodeKopsRecord(
  KOPS_TYPE_CODE_OBJECT_TYPE,
  encodeObjectType({ typeCode: KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST, typeName: EXPORT_TRACE_REQUEST_TYPE_NAME }),
);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function pushVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

// Returns [value, next position]. Only the low 35 bits are kept: every field read here is 32-bit.
function readVarint(buf: Uint8Array, start: number): [number, number] {
  let pos = start;
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    if (shift < 35) value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
  }
  throw new Error('varint longer than 10 bytes');
}
