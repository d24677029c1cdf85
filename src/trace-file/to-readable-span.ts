// Turns OTLP/JSON spans read from a trace file back into SDK ReadableSpans, so the upstream serializers can encode them again.
//
// Replay must not hand-encode OTLP: the spans are rebuilt as the SDK's own ReadableSpan objects and
// given to the same serializers (otlp-transformer) the agent uses. What the SDK's span model cannot
// express is the limit of the round trip: an integral double becomes an int, an int64 beyond 2^53
// loses precision, the span flags always gain the "has is_remote" bit, and a resource's dropped
// attribute count is written as 0.
import { TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { fromKeyValues, hexId, nanos, parentId, type OtlpKeyValue, type OtlpSpanRecord, type PlainValue } from './otlp-json';

// OTLP span flags bits 8 and 9 (opentelemetry-proto trace.proto SpanFlags).
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const NANOS_PER_SECOND = 1_000_000_000n;

/**
 * Converts spans, keeping one Resource object per distinct resource and one scope object per
 * distinct scope: the serializer groups spans by object identity, so spans that shared a resource
 * in the file share it again on the wire.
 */
export class ReadableSpanConverter {
  private readonly resources = new Map<string, Resource>();
  private readonly scopes = new Map<string, InstrumentationScope>();

  /** Throws an Error naming the problem when the span cannot be rebuilt (bad id, missing timestamp). */
  convert(record: OtlpSpanRecord): ReadableSpan {
    const { span } = record;
    const traceId = hexId(span.traceId, 16, 'traceId');
    const spanId = hexId(span.spanId, 8, 'spanId');
    const parentSpanId = parentId(span.parentSpanId);
    const startNanos = nanos(span.startTimeUnixNano, 'startTimeUnixNano');
    // A span cut short (e.g. a file written by a crashing process) may lack an end: zero duration.
    const endNanos = span.endTimeUnixNano === undefined ? startNanos : nanos(span.endTimeUnixNano, 'endTimeUnixNano');
    const flags = typeof span.flags === 'number' ? span.flags : undefined;
    // A span in a trace file was recorded and exported, so sampled, when the file does not say.
    const traceFlags = flags === undefined ? TraceFlags.SAMPLED : flags & 0xff;
    const traceState = span.traceState ? createTraceState(text(span.traceState, 'traceState')) : undefined;
    const context: SpanContext = { traceId, spanId, traceFlags, ...(traceState ? { traceState } : {}) };
    const kind = typeof span.kind === 'number' && span.kind > 0 ? ((span.kind - 1) as SpanKind) : undefined;
    const durationNanos = endNanos >= startNanos ? endNanos - startNanos : 0n;
    return {
      name: text(span.name, 'name'),
      // OTLP's SPAN_KIND_UNSPECIFIED (0) has no SpanKind; the serializer writes 0 for a missing kind.
      kind: kind as SpanKind,
      spanContext: () => context,
      parentSpanContext: parentSpanId
        ? { traceId, spanId: parentSpanId, traceFlags, isRemote: remoteBit(flags) }
        : undefined,
      startTime: hrTime(startNanos),
      endTime: hrTime(endNanos),
      duration: hrTime(durationNanos),
      ended: true,
      status: { code: integer(span.status?.code, 'status.code'), ...(span.status?.message ? { message: text(span.status.message, 'status.message') } : {}) },
      attributes: attributes(span.attributes),
      links: list(span.links, 'links').map((link, i): Link => {
        const linkTraceState = link.traceState ? createTraceState(text(link.traceState, `links[${i}].traceState`)) : undefined;
        return {
          context: {
            traceId: hexId(link.traceId, 16, `links[${i}].traceId`),
            spanId: hexId(link.spanId, 8, `links[${i}].spanId`),
            traceFlags: typeof link.flags === 'number' ? link.flags & 0xff : TraceFlags.SAMPLED,
            isRemote: remoteBit(link.flags),
            ...(linkTraceState ? { traceState: linkTraceState } : {}),
          },
          attributes: attributes(link.attributes),
          droppedAttributesCount: link.droppedAttributesCount ?? 0,
        };
      }),
      events: list(span.events, 'events').map(
        (event, i): TimedEvent => ({
          name: text(event.name, `events[${i}].name`),
          time: hrTime(nanos(event.timeUnixNano, `events[${i}].timeUnixNano`)),
          attributes: attributes(event.attributes),
          droppedAttributesCount: event.droppedAttributesCount ?? 0,
        }),
      ),
      resource: this.resource(record),
      instrumentationScope: this.scope(record),
      droppedAttributesCount: span.droppedAttributesCount ?? 0,
      droppedEventsCount: span.droppedEventsCount ?? 0,
      droppedLinksCount: span.droppedLinksCount ?? 0,
    };
  }

  private resource(record: OtlpSpanRecord): Resource {
    const resourceAttributes = record.resourceSpans.resource?.attributes;
    const schemaUrl = record.resourceSpans.schemaUrl || undefined;
    const key = JSON.stringify([resourceAttributes ?? [], schemaUrl ?? '']);
    let resource = this.resources.get(key);
    if (!resource) {
      resource = buildResource(fromKeyValues(resourceAttributes), schemaUrl);
      this.resources.set(key, resource);
    }
    return resource;
  }

  private scope(record: OtlpSpanRecord): InstrumentationScope {
    const { scope, schemaUrl } = record.scopeSpans;
    const key = JSON.stringify([scope ?? {}, schemaUrl ?? '']);
    let out = this.scopes.get(key);
    if (!out) {
      const scopeAttributes = scope?.attributes?.length ? fromKeyValues(scope.attributes) : undefined;
      // `attributes` and `droppedAttributesCount` are not in core's InstrumentationScope type yet,
      // but the upstream serializers write them.
      out = {
        name: scope?.name ?? '',
        ...(scope?.version ? { version: scope.version } : {}),
        ...(schemaUrl ? { schemaUrl } : {}),
        ...(scopeAttributes ? { attributes: scopeAttributes, droppedAttributesCount: scope?.droppedAttributesCount ?? 0 } : {}),
      } as InstrumentationScope;
      this.scopes.set(key, out);
    }
    return out;
  }
}

// JSON-valid damage (a number for a name, an object for a list) is thrown here, so that the span is
// reported and skipped instead of failing the serializer and with it every span of the batch.
function text(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  throw new Error(`${what} is not a string: ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}`);
}

function integer(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new Error(`${what} is not an integer: ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}`);
}

function list<T>(value: T[] | undefined, what: string): T[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  throw new Error(`${what} is not a list: ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}`);
}

/** Whether the context was remote, when the flags say (bit 8 set), else undefined. */
function remoteBit(flags: number | undefined): boolean | undefined {
  if (flags === undefined || (flags & HAS_IS_REMOTE) === 0) return undefined;
  return (flags & IS_REMOTE) !== 0;
}

/** Exact: HrTime holds whole seconds and nanoseconds, so any uint64 nanosecond time below 2^53 s fits. */
export function hrTime(ns: bigint): HrTime {
  return [Number(ns / NANOS_PER_SECOND), Number(ns % NANOS_PER_SECOND)];
}

// The SDK types attributes as primitives and homogeneous arrays; the serializers write any value
// (objects as kvlist, Uint8Array as bytes, null as an empty AnyValue), which OTLP allows.
function attributes(list: OtlpKeyValue[] | undefined): Attributes {
  return fromKeyValues(list) as unknown as Attributes;
}

function isSimple(value: PlainValue): boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return true;
  if (!Array.isArray(value)) return false;
  const types = new Set(value.filter((v) => v !== null).map((v) => typeof v));
  return types.size <= 1 && [...types].every((t) => t === 'string' || t === 'number' || t === 'boolean');
}

/**
 * resourceFromAttributes keeps only simple values (OTEP 4485) and drops the others. A resource in a
 * file may hold any AnyValue; the complex ones are put back on top, as read, so they are not lost.
 */
function buildResource(attrs: { [key: string]: PlainValue }, schemaUrl: string | undefined): Resource {
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const simple: Attributes = {};
  let complex = false;
  for (const [key, value] of Object.entries(attrs)) {
    if (isSimple(value)) simple[key] = value as Attributes[string];
    else complex = true;
  }
  const resource = resourceFromAttributes(simple, schemaUrl ? { schemaUrl } : undefined);
  if (!complex) return resource;
  const all = attrs as unknown as Attributes;
  return Object.create(resource, { attributes: { get: () => all } }) as Resource;
}

function createTraceState(value: string) {
  const { TraceState } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  return new TraceState(value);
}
