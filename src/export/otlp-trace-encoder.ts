// Encodes an OTLP ExportTraceServiceRequest (protobuf) from ReadableSpans in one pass, byte for byte as upstream's
// ProtobufTraceSerializer (@opentelemetry/otlp-transformer) does: the exporter's cost per span, measured in bench/encoder.mjs.
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { HrTime, Link, SpanContext } from '@opentelemetry/api';

interface EncodableResource {
  attributes?: Record<string, unknown>;
  schemaUrl?: string;
  asyncAttributesPending?: boolean;
}
interface EncodableScope {
  name: string;
  version?: string;
  schemaUrl?: string;
  attributes?: Record<string, unknown>;
  droppedAttributesCount?: number;
}

const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 256;
const SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 512;
const MIN_64_BIT_INT = -(2 ** 63);
const MAX_64_BIT_INT = 2 ** 63;
const hasOwn = Object.prototype.hasOwnProperty;
const INITIAL_BUFFER = 64 * 1024;
const MAX_KEPT_BUFFER = 4 * 1024 * 1024;
const MAX_CACHED_KEYS = 1024;
/** Up to this many bytes, a loop copies faster than set(). */
const SHORT_COPY = 64;
const MAX_CACHED_VALUE_LENGTH = 128;
const MAX_VALUE_CHANGES = 16;

/**
 * Upstream walks every batch twice (a size estimate, then the writes), decodes each id into a new array, and
 * encodes the resource and scope again for every batch. Here one pass writes into a buffer kept between
 * batches (grown when a batch needs more); a message's length is written in front of it afterwards, in the
 * bytes reserved for it, shifting the message only when the reserve was wrong. Ids are decoded straight into
 * the buffer; a settled resource's and a scope's bytes are encoded once. The output is a fresh copy: the
 * caller keeps it (the exit path resends it) or moves its buffer to the export worker.
 *
 * Every rule below mirrors upstream (trace-serializer, common-serializer, protobuf-writer, hex-to-binary),
 * including what it does with odd input (non-hex ids, non-integer times, values of no attribute type):
 * test/unit/export/otlp-trace-encoder.test.ts compares the bytes over varied spans.
 */
class TraceRequestEncoder {
  private buf = new Uint8Array(INITIAL_BUFFER);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  /** The encoded `resource` field (tag included) of each settled resource. */
  private readonly resources = new WeakMap<object, Uint8Array>();
  /** The encoded `scope` field (tag included) of each scope. */
  private readonly scopes = new WeakMap<object, Uint8Array>();
  /** Attribute keys, encoded (tag, length, bytes), and the last KeyValue of each: the same few dozen names on every span. Bounded. */
  private readonly keys = new Map<string, CachedKey>();

  encode(spans: readonly ReadableSpan[]): Uint8Array {
    this.pos = 0;
    // Grouped by resource, then scope, by identity, in first-seen order (upstream's createResourceMap).
    const byResource = new Map<object, Map<object, ReadableSpan[]>>();
    for (const span of spans) {
      let byScope = byResource.get(span.resource);
      if (byScope === undefined) byResource.set(span.resource, (byScope = new Map()));
      const records = byScope.get(span.instrumentationScope);
      if (records === undefined) byScope.set(span.instrumentationScope, [span]);
      else records.push(span);
    }
    for (const [resource, byScope] of byResource) {
      this.tag(1, 2);
      const resourceSpans = this.begin(3);
      this.resource(resource as EncodableResource);
      for (const records of byScope.values()) {
        this.tag(2, 2);
        this.scopeSpans(records[0].instrumentationScope as EncodableScope, records);
      }
      const schemaUrl = (resource as EncodableResource).schemaUrl;
      if (schemaUrl) {
        this.tag(3, 2);
        this.string(schemaUrl);
      }
      this.end(resourceSpans, 3);
    }
    const body = this.buf.slice(0, this.pos);
    // A batch of large spans grew the buffer: it is not kept at that size.
    if (this.buf.length > MAX_KEPT_BUFFER) this.useBuffer(new Uint8Array(INITIAL_BUFFER));
    return body;
  }

  /**
   * One span's field of a ScopeSpans message (tag, length, Span), written at the end of this encoder's slab: a
   * new slab when little room is left, so earlier spans' bytes stay where they are.
   */
  encodeAtEnd(span: ReadableSpan): EncodedSpan {
    if (this.buf.length - this.pos < SLAB_HEADROOM) {
      this.useBuffer(new Uint8Array(SLAB_BYTES));
      this.pos = 0;
    }
    const start = this.pos;
    try {
      this.tag(2, 2);
      this.span(span);
    } catch (err) {
      this.pos = start;
      throw err;
    }
    return new EncodedSpan(span.resource, span.instrumentationScope, this.buf, start, this.pos);
  }

  private resource(resource: EncodableResource): void {
    let bytes = this.resources.get(resource);
    if (bytes === undefined) {
      const start = this.pos;
      this.tag(1, 2);
      const message = this.begin(1);
      if (resource.attributes) this.attributes(resource.attributes, 1);
      this.tag(2, 0);
      this.varint(0);
      this.end(message, 1);
      // A resource still detecting may gain attributes: encoded again until it settles.
      if (resource.asyncAttributesPending) return;
      bytes = this.buf.slice(start, this.pos);
      this.resources.set(resource, bytes);
      return;
    }
    this.raw(bytes);
  }

  private scopeSpans(scope: EncodableScope, spans: ReadableSpan[]): void {
    const message = this.begin(3);
    let bytes = this.scopes.get(scope);
    if (bytes === undefined) {
      const start = this.pos;
      this.tag(1, 2);
      const scopeMessage = this.begin(1);
      this.tag(1, 2);
      this.string(scope.name);
      if (scope.version) {
        this.tag(2, 2);
        this.string(scope.version);
      }
      if (scope.attributes) this.attributes(scope.attributes, 3);
      if (scope.droppedAttributesCount) {
        this.tag(4, 0);
        this.varint(scope.droppedAttributesCount);
      }
      this.end(scopeMessage, 1);
      bytes = this.buf.slice(start, this.pos);
      this.scopes.set(scope, bytes);
    } else this.raw(bytes);
    for (const span of spans) {
      if (span instanceof EncodedSpan) {
        this.raw(span.slab.subarray(span.start, span.end));
        continue;
      }
      this.tag(2, 2);
      this.span(span);
    }
    if (scope.schemaUrl) {
      this.tag(3, 2);
      this.string(scope.schemaUrl);
    }
    this.end(message, 3);
  }

  private span(span: ReadableSpan): void {
    const message = this.begin(2);
    const ctx = span.spanContext();
    this.contextFields(ctx);
    const parent = span.parentSpanContext;
    if (parent?.spanId) {
      this.tag(4, 2);
      this.hex(parent.spanId);
    }
    this.tag(5, 2);
    this.string(span.name);
    const kind = span.kind == null ? 0 : span.kind + 1;
    if (kind !== 0) {
      this.tag(6, 0);
      this.varint(kind);
    }
    this.tag(7, 1);
    this.hrTime(span.startTime);
    this.tag(8, 1);
    this.hrTime(span.endTime);
    if (span.attributes) this.attributes(span.attributes, 9);
    this.tag(10, 0);
    this.varint(span.droppedAttributesCount);
    for (const event of span.events) {
      this.tag(11, 2);
      this.event(event);
    }
    this.tag(12, 0);
    this.varint(span.droppedEventsCount);
    for (const link of span.links) {
      this.tag(13, 2);
      this.link(link as Link & { droppedAttributesCount?: number });
    }
    this.tag(14, 0);
    this.varint(span.droppedLinksCount);
    this.tag(15, 2);
    const status = this.begin(1);
    if (span.status.message) {
      this.tag(2, 2);
      this.string(span.status.message);
    }
    this.tag(3, 0);
    this.varint(span.status.code);
    this.end(status, 1);
    // Never zero: the has-is-remote bit is always set.
    this.tag(16, 5);
    this.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
    this.end(message, 2);
  }

  /** Fields 1 to 3 of both Span and Span.Link: trace id, span id, trace state. */
  private contextFields(ctx: SpanContext): void {
    this.tag(1, 2);
    this.hex(ctx.traceId);
    this.tag(2, 2);
    this.hex(ctx.spanId);
    const traceState = ctx.traceState?.serialize();
    if (traceState) {
      this.tag(3, 2);
      this.string(traceState);
    }
  }

  private event(event: TimedEvent): void {
    const message = this.begin(1);
    this.tag(1, 1);
    this.hrTime(event.time);
    this.tag(2, 2);
    this.string(event.name);
    if (event.attributes) this.attributes(event.attributes, 3);
    this.tag(4, 0);
    this.varint(event.droppedAttributesCount || 0);
    this.end(message, 1);
  }

  private link(link: Link & { droppedAttributesCount?: number }): void {
    const message = this.begin(1);
    const ctx = link.context;
    this.contextFields(ctx);
    if (link.attributes) this.attributes(link.attributes, 4);
    this.tag(5, 0);
    this.varint(link.droppedAttributesCount || 0);
    this.tag(6, 5);
    this.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
    this.end(message, 1);
  }

  private attributes(attributes: Record<string, unknown>, field: number): void {
    // for-in, not Object.keys: measured faster here (V8's enum cache keeps the keyed loads fast).
    for (const key in attributes) {
      if (!hasOwn.call(attributes, key)) continue;
      this.tag(field, 2);
      this.keyValue(key, attributes[key]);
    }
  }

  private keyValue(key: string, value: unknown): void {
    const entry = this.keys.get(key);
    // The same key with the same primitive value as last time (a method, a scheme, a status code): the same bytes.
    if (entry !== undefined && entry.pair !== undefined && entry.value === value) {
      this.raw(entry.pair);
      return;
    }
    const message = this.begin(1);
    let cached = entry;
    if (entry === undefined) {
      const start = this.pos;
      this.tag(1, 2);
      this.string(key);
      if (this.keys.size < MAX_CACHED_KEYS) this.keys.set(key, (cached = { key: this.buf.slice(start, this.pos), value, pair: undefined, changes: 0 }));
    } else this.raw(entry.key);
    this.tag(2, 2);
    const any = this.begin(1);
    this.anyValue(value);
    this.end(any, 1);
    this.end(message, 1);
    if (cached === undefined || cached.changes > MAX_VALUE_CHANGES || !isCacheable(value)) return;
    // A key whose value keeps changing (a path, a port) stops being cached: each change costs a copy.
    if (entry !== undefined) cached.changes++;
    cached.value = value;
    cached.pair = cached.changes > MAX_VALUE_CHANGES ? undefined : this.buf.slice(message, this.pos);
  }

  private anyValue(value: unknown): void {
    const t = typeof value;
    if (t === 'string') {
      this.tag(1, 2);
      this.string(value as string);
    } else if (t === 'boolean') {
      this.tag(2, 0);
      this.varint(value ? 1 : 0);
    } else if (t === 'number') {
      const n = value as number;
      if (Number.isInteger(n) && n >= MIN_64_BIT_INT && n < MAX_64_BIT_INT) {
        this.tag(3, 0);
        this.varint(n);
      } else {
        this.tag(4, 1);
        this.double(n);
      }
    } else if (value instanceof Uint8Array) {
      this.tag(7, 2);
      this.varint(value.length);
      this.raw(value);
    } else if (Array.isArray(value)) {
      this.tag(5, 2);
      const array = this.begin(1);
      for (const item of value) {
        this.tag(1, 2);
        const any = this.begin(1);
        this.anyValue(item);
        this.end(any, 1);
      }
      this.end(array, 1);
    } else if (t === 'object' && value != null) {
      this.tag(6, 2);
      const list = this.begin(1);
      const object = value as Record<string, unknown>;
      for (const key in object) {
        if (!hasOwn.call(object, key)) continue;
        this.tag(1, 2);
        this.keyValue(key, object[key]);
      }
      this.end(list, 1);
    }
    // Any other type (undefined, null, a function, a bigint): an empty AnyValue, as upstream writes it.
  }

  // Primitives ------------------------------------------------------------------------------------------

  private useBuffer(buf: Uint8Array<ArrayBuffer>): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer);
  }

  private ensure(size: number): void {
    if (this.pos + size <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < this.pos + size) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buf.subarray(0, this.pos));
    this.useBuffer(grown);
  }

  /** Reserves `reserve` bytes for a message's length; returns where the length goes. */
  private begin(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of the message begun at `at` in its reserved bytes, moving the message if it needs more or fewer. */
  private end(at: number, reserved: number): void {
    const length = this.pos - at - reserved;
    const size = varintSize(length);
    if (size !== reserved) {
      if (size > reserved) this.ensure(size - reserved);
      this.buf.copyWithin(at + size, at + reserved, this.pos);
      this.pos += size - reserved;
    }
    const buf = this.buf;
    let v = length;
    let p = at;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p] = v;
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** Upstream's writeVarint: an int64 in two's complement for negatives, 64 bits for the rest. */
  private varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 4294967295) {
      let v = value >>> 0;
      while (v > 127) {
        buf[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 4294967296) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 4294967296) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 127;
  }

  private fixed32(value: number): void {
    this.ensure(4);
    const v = value >>> 0;
    const buf = this.buf;
    buf[this.pos++] = v & 255;
    buf[this.pos++] = (v >>> 8) & 255;
    buf[this.pos++] = (v >>> 16) & 255;
    buf[this.pos++] = (v >>> 24) & 255;
  }

  private double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Upstream's writeHrTimeAsFixed64: nanoseconds as two 32-bit halves, without a BigInt. */
  private hrTime(time: HrTime): void {
    const seconds = time[0];
    const nanos = time[1];
    const lower16 = (seconds & 65535) * 1e9;
    const upper = ((seconds / 65536) >>> 0) * 1e9;
    const low32WithCarry = (lower16 >>> 0) + (((upper & 65535) * 65536) >>> 0) + nanos;
    const low = low32WithCarry >>> 0;
    const high = (Math.floor(lower16 / 4294967296) + ((upper / 65536) >>> 0) + Math.floor(low32WithCarry / 4294967296)) >>> 0;
    this.ensure(8);
    const buf = this.buf;
    buf[this.pos++] = low & 255;
    buf[this.pos++] = (low >>> 8) & 255;
    buf[this.pos++] = (low >>> 16) & 255;
    buf[this.pos++] = (low >>> 24) & 255;
    buf[this.pos++] = high & 255;
    buf[this.pos++] = (high >>> 8) & 255;
    buf[this.pos++] = (high >>> 16) & 255;
    buf[this.pos++] = (high >>> 24) & 255;
  }

  /** A hex id as bytes (length-delimited), as upstream's hexToBinary decodes it, odd characters included. */
  private hex(id: string): void {
    const count = Math.trunc(id.length / 2);
    this.varint(count);
    this.ensure(count);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < count * 2; i += 2) buf[p++] = ((hexValue(id.charCodeAt(i)) << 4) | hexValue(id.charCodeAt(i + 1))) & 255;
    this.pos = p;
  }

  private string(value: string): void {
    const length = value.length;
    // Room for the length too: nothing below grows (and so replaces) the buffer being written.
    this.ensure(length + 10);
    const buf = this.buf;
    // ASCII (nearly every key and value): the characters are the bytes, behind their count.
    const at = this.pos;
    let p = at + (length < 128 ? 1 : varintSize(length));
    let i = 0;
    for (; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c > 127) break;
      buf[p++] = c;
    }
    if (i === length) {
      if (length < 128) buf[at] = length;
      else this.varint(length);
      this.pos = p;
      return;
    }
    const bytes = textEncoder.encode(value);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** Bytes as they are: a loop for the short ones (keys, cached KeyValues; measured faster than set()), set() for the rest. */
  private raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    if (length > SHORT_COPY) {
      this.buf.set(bytes, this.pos);
      this.pos += length;
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < length; i++) buf[p++] = bytes[i];
    this.pos = p;
  }
}

const textEncoder = new TextEncoder();

/** Slabs the spans encoded at their end share (a slab lives while one of its spans waits for export). */
const SLAB_BYTES = 64 * 1024;
const SLAB_HEADROOM = 8 * 1024;

/**
 * A span encoded as it ended: the queue holds this (its resource and scope, for grouping, and where its bytes are)
 * instead of the span, so the span, its attributes and events are garbage at once instead of surviving in the
 * queue until their batch goes. Only this encoder reads it.
 */
export class EncodedSpan {
  constructor(
    readonly resource: ReadableSpan['resource'],
    readonly instrumentationScope: ReadableSpan['instrumentationScope'],
    readonly slab: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}
}

interface CachedKey {
  /** The key field: tag, length, bytes. */
  key: Uint8Array;
  /** The value `pair` encodes. */
  value: unknown;
  /** The whole KeyValue message (its length first) for `value`; undefined once the key's values keep changing. */
  pair: Uint8Array | undefined;
  changes: number;
}

/** Values whose bytes follow from `===`: booleans, numbers, and strings short enough to keep. */
function isCacheable(value: unknown): boolean {
  const t = typeof value;
  return t === 'boolean' || t === 'number' || (t === 'string' && (value as string).length <= MAX_CACHED_VALUE_LENGTH);
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 255) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK | (isRemote ? SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK : 0);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

function varintSize(v: number): number {
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  if (v < 268435456) return 4;
  return 5;
}

let encoder: TraceRequestEncoder | undefined;
let atEnd: TraceRequestEncoder | undefined;

/**
 * For a protobuf destination's queue: the span encoded now (an EncodedSpan, which encodeTraceRequest copies into
 * its batch: the same bytes as encoding the span then), or the span itself if it cannot be encoded (the batch then
 * encodes it, or fails as it would have).
 */
export function encodeSpanAtEnd(span: ReadableSpan): ReadableSpan {
  atEnd ??= new TraceRequestEncoder();
  try {
    return atEnd.encodeAtEnd(span) as unknown as ReadableSpan;
  } catch {
    return span;
  }
}

/** The protobuf body of an OTLP trace export request for `spans`: the same bytes as upstream's ProtobufTraceSerializer. */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  encoder ??= new TraceRequestEncoder();
  return encoder.encode(spans);
}

export interface TraceSerializer {
  serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined;
}

/** Protobuf with this encoder (upstream's serializer if it ever throws, for the same bytes); upstream's for JSON. */
export const ProtobufTraceEncoder: TraceSerializer = {
  serializeRequest(spans) {
    try {
      return encodeTraceRequest(spans);
    } catch (err) {
      // Spans encoded at their end are bytes only this encoder reads.
      if (spans.some((span) => span instanceof EncodedSpan)) throw err;
      const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
      return ProtobufTraceSerializer.serializeRequest(spans);
    }
  },
};

/** The serializer for an OTLP protocol: `http/json` is upstream's JSON; `http/protobuf` and `grpc` carry protobuf. */
export function traceSerializerFor(protocol: string): TraceSerializer {
  if (protocol !== 'http/json') return ProtobufTraceEncoder;
  return (require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer')).JsonTraceSerializer;
}
