// The OTLP/JSON trace shapes trace files hold, and helpers to walk them: spans with their resource and scope, AnyValues, ids.

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  /** A number, or a decimal string (protobuf JSON's int64 form). */
  intValue?: number | string;
  /** A number, or "NaN"/"Infinity"/"-Infinity" (protobuf JSON's non-finite doubles). */
  doubleValue?: number | string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  /** base64 */
  bytesValue?: string;
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
export interface OtlpResource {
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}
export interface OtlpScope {
  name?: string;
  version?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}
export interface OtlpEvent {
  timeUnixNano?: string | number;
  name?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}
export interface OtlpLink {
  traceId?: string;
  spanId?: string;
  traceState?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}
export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events?: OtlpEvent[];
  droppedEventsCount?: number;
  links?: OtlpLink[];
  droppedLinksCount?: number;
  status?: { code?: number; message?: string };
}
export interface OtlpScopeSpans {
  scope?: OtlpScope;
  spans?: OtlpSpan[];
  schemaUrl?: string;
}
export interface OtlpResourceSpans {
  resource?: OtlpResource;
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}
export interface OtlpTracesData {
  resourceSpans: OtlpResourceSpans[];
}

/** One span with what it shares with its neighbours in the document. */
export interface OtlpSpanRecord {
  span: OtlpSpan;
  scopeSpans: OtlpScopeSpans;
  resourceSpans: OtlpResourceSpans;
}

/** Every span of a TracesData document, in document order; malformed containers are skipped. */
export function* spansOf(doc: OtlpTracesData): Generator<OtlpSpanRecord> {
  for (const resourceSpans of arrayOf<OtlpResourceSpans>(doc.resourceSpans)) {
    for (const scopeSpans of arrayOf<OtlpScopeSpans>(resourceSpans.scopeSpans)) {
      for (const span of arrayOf<OtlpSpan>(scopeSpans.spans)) yield { span, scopeSpans, resourceSpans };
    }
  }
}

export function countSpans(doc: OtlpTracesData): number {
  let n = 0;
  for (const _ of spansOf(doc)) n++;
  return n;
}

function arrayOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value.filter((v) => typeof v === 'object' && v !== null) as T[]) : [];
}

/** A JS value for an AnyValue, in the form the upstream serializers turn back into the same AnyValue kind. */
export type PlainValue = string | number | boolean | Uint8Array | null | PlainValue[] | { [key: string]: PlainValue };

/**
 * How deep an AnyValue may nest (arrays and kvlists in each other). OTLP sets no limit, but protobuf
 * decoders commonly stop at 100 levels and every consumer walks values recursively: a deeper value
 * is damage, reported instead of overflowing the stack further down.
 */
export const MAX_VALUE_DEPTH = 100;

/**
 * AnyValue -> JS value: kvlist becomes a plain object, bytes a Uint8Array, an empty AnyValue null.
 * int64 values beyond 2^53 lose precision (JS numbers); that is the limit of the SDK's attribute model.
 * Throws for a value nested deeper than MAX_VALUE_DEPTH.
 */
export function fromAnyValue(value: OtlpAnyValue | undefined, depth = 0): PlainValue {
  if (value === undefined || value === null || typeof value !== 'object') return null;
  if (depth >= MAX_VALUE_DEPTH) throw new Error(`attribute value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (value.stringValue !== undefined) return String(value.stringValue);
  if (value.boolValue !== undefined) return value.boolValue === true || (value.boolValue as unknown) === 'true';
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue !== undefined) {
    const values = (value.arrayValue as { values?: unknown } | null)?.values;
    return Array.isArray(values) ? values.map((v: OtlpAnyValue) => fromAnyValue(v, depth + 1)) : [];
  }
  if (value.kvlistValue !== undefined) return fromKeyValues((value.kvlistValue as { values?: OtlpKeyValue[] } | null)?.values, depth + 1);
  if (value.bytesValue !== undefined) return new Uint8Array(Buffer.from(String(value.bytesValue), 'base64'));
  return null;
}

/** KeyValue list -> object. A later duplicate key wins, as in the SDK's attribute maps. */
export function fromKeyValues(list: OtlpKeyValue[] | undefined, depth = 0): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const kv of Array.isArray(list) ? list : []) {
    if (kv && typeof kv.key === 'string') out[kv.key] = fromAnyValue(kv.value, depth);
  }
  return out;
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** A decimal-string or number nanosecond timestamp as a bigint; throws when it is neither. */
export function nanos(value: string | number | undefined, what: string): bigint {
  let ns: bigint | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ns = BigInt(Math.trunc(value));
  else if (typeof value === 'string' && /^\d+$/.test(value)) ns = BigInt(value);
  // OTLP times are fixed64: anything beyond is damage (and beyond what a Date can show).
  if (ns !== undefined && (ns < 0n || ns > MAX_UINT64)) throw new Error(`${what} ${String(value).slice(0, 40)} is out of range (not a uint64)`);
  if (ns !== undefined) return ns;
  throw new Error(`${what} is ${value === undefined ? 'missing' : `not a nanosecond timestamp: ${JSON.stringify(value).slice(0, 40)}`}`);
}

/**
 * A trace or span id as lower-case hex. OTLP/JSON files carry hex; protobuf-JSON tools write base64,
 * which is accepted too. Throws for anything else (an all-zero id is invalid as well).
 */
export function hexId(value: string | undefined, bytes: 8 | 16, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${what} is missing`);
  let hex: string | undefined;
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) hex = value.toLowerCase();
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length === bytes) hex = decoded.toString('hex');
  }
  if (hex === undefined) throw new Error(`${what} ${JSON.stringify(value.slice(0, 40))} is not a ${bytes}-byte id`);
  if (/^0+$/.test(hex)) throw new Error(`${what} is all zeros`);
  return hex;
}

/** The parent span id, or undefined for a root span (absent or empty). */
export function parentId(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : hexId(value, 8, 'parentSpanId');
}
