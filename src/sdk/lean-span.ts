// The span of the agent's own instrumentations: the SDK's SpanImpl behaviour (API Span and SDK ReadableSpan) at a lower cost per call.
import {
  diag,
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span as ApiSpan,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import {
  addHrTimes,
  AddAttributeDecision,
  cleanAttributes,
  cleanSimpleAttributes,
  hrTime,
  hrTimeDuration,
  isTimeInput,
  isTimeInputHrTime,
  maybeAddAttribute,
  millisToHrTime,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';

/** The SDK's span limits after its TracerProvider merged them with its defaults: every field is set. */
export type MergedSpanLimits = Required<SpanLimits>;

/** What a lean span shares with every other span of its tracer. */
export interface LeanSpanShared {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly limits: MergedSpanLimits;
  readonly processor: SpanProcessor;
  /** The span limits' value length limit when setAttribute may take the primitive fast path (positive), else undefined. */
  readonly fastLengthLimit: number | undefined;
}

export interface LeanSpanOptions {
  readonly context: Context;
  readonly spanContext: SpanContext;
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  /** Already cleaned and within the limits (the tracer did it, as the SDK's Tracer does before SpanImpl). */
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  /** The number of keys of `attributes`, when the tracer counted them. */
  readonly attributesCount: number | undefined;
  /** Already cleaned (the sampler saw them); the count limit is applied here. */
  readonly links: Link[];
  readonly startTime: TimeInput | undefined;
}

const EXCEPTION_EVENT_NAME = 'exception';
const ATTR_EXCEPTION_TYPE = 'exception.type';
const ATTR_EXCEPTION_MESSAGE = 'exception.message';
const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';

/** util.inspect's hook (a global symbol: no node:util import), as the SDK's span and tracer have it. */
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');
type Inspect = (value: unknown, options: object) => string;
interface InspectOptions {
  depth?: number | null;
  stylize?: (text: string, style: string) => string;
}

/** The SDK's formatInspect (sdk-trace inspect.ts): `ClassName {payload}`, `[ClassName]` past the depth. */
export function formatInspect(className: string, payload: object, depth: number, options: InspectOptions | undefined, inspect: Inspect | undefined): unknown {
  if (typeof depth === 'number' && depth < 0) {
    const tag = `[${className}]`;
    return options?.stylize ? options.stylize(tag, 'special') : tag;
  }
  if (typeof inspect !== 'function' || !options) return payload;
  return `${className} ${inspect(payload, { ...options, depth: options.depth == null ? options.depth : options.depth - 1 })}`;
}

/** The SDK's settledResourceAttributes: the resource's settled attributes, without the getter's diagnostics while some are pending. */
export function settledResourceAttributes(resource: Resource): Attributes {
  const attrs: Attributes = {};
  for (const [k, v] of resource.getRawAttributes()) {
    if (typeof (v as { then?: unknown } | undefined)?.then === 'function') continue;
    if (v != null) attrs[k] ??= v as AttributeValue;
  }
  return attrs;
}

/**
 * Same fields, same rules and same diagnostics as the SDK's SpanImpl (sdk-trace 3.0, Span.ts), with less work per
 * call: a string, number or boolean attribute is set without the SDK's generic AnyValue check (a WeakSet and an
 * options object per value); anything else goes through @opentelemetry/core's maybeAddAttribute, as in the SDK.
 * Start time: one Date.now() and one performance.now(); the end is the start plus the monotonic delta, as in the SDK.
 */
export class LeanSpan implements ApiSpan, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[] = [];
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  /** A plain field, as in the SDK (the redaction processor replaces it in onEnding). */
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];

  private readonly _spanContext: SpanContext;
  private readonly _shared: LeanSpanShared;
  private readonly _nowAtStart: number;
  private readonly _performanceStartTime: number;
  private readonly _startTimeProvided: boolean;
  private _ended = false;
  private _duration: HrTime = [-1, -1];
  private _attributesCount: number;
  private _droppedAttributesCount: number;
  private _droppedEventsCount = 0;
  private _droppedLinksCount = 0;

  constructor(shared: LeanSpanShared, opts: LeanSpanOptions) {
    const now = Date.now();
    this._performanceStartTime = performance.now();
    this._nowAtStart = now;
    this._shared = shared;
    this._spanContext = opts.spanContext;
    this.name = opts.name;
    this.kind = opts.kind;
    this.parentSpanContext = opts.parentSpanContext;
    this.resource = shared.resource;
    this.instrumentationScope = shared.scope;
    this._startTimeProvided = opts.startTime != null;
    // The SDK's _getTime(Date.now()) is millisToHrTime(now): an epoch is never below the process's uptime.
    this.startTime = opts.startTime == null ? millisToHrTime(now) : this._getTime(opts.startTime);
    const { linkCountLimit } = shared.limits;
    const links = opts.links;
    if (links.length > linkCountLimit) {
      this.links = links.slice(links.length - linkCountLimit, links.length);
      this._droppedLinksCount = links.length - linkCountLimit;
    } else {
      this.links = links;
    }
    this.attributes = opts.attributes;
    this._attributesCount = opts.attributesCount ?? Object.keys(opts.attributes).length;
    this._droppedAttributesCount = opts.droppedAttributesCount;
    shared.processor.onStart(this, opts.context);
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this._ended) return this._warnEnded();
    const lengthLimit = this._shared.fastLengthLimit;
    const type = typeof value;
    if ((type === 'string' || type === 'number' || type === 'boolean') && lengthLimit !== undefined && typeof key === 'string' && key.length > 0) {
      // maybeAddAttribute's steps for a valid primitive: the count limit for a new key, then the length limit.
      const attributes = this.attributes as Record<string, AttributeValue>;
      if (!Object.hasOwn(attributes, key)) {
        if (this._attributesCount >= this._shared.limits.attributeCountLimit) return this._dropAttribute();
        this._attributesCount++;
      }
      attributes[key] = type === 'string' && (value as string).length > lengthLimit ? (value as string).substring(0, lengthLimit) : value;
      return this;
    }
    const decision = maybeAddAttribute({ key, value, attributes: this.attributes, limits: this._shared.limits, currentAttributesCount: this._attributesCount });
    if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) this._dropAttribute();
    else if (decision === AddAttributeDecision.ADD_NEW) this._attributesCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, timeStamp?: TimeInput): this {
    if (this._ended) return this._warnEnded();
    const limits = this._shared.limits;
    const { eventCountLimit } = limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this._droppedEventsCount++;
      return this;
    }
    if (eventCountLimit !== undefined && this.events.length >= eventCountLimit) {
      if (this._droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this._droppedEventsCount++;
    }
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime;
      attributesOrStartTime = undefined;
    }
    this.events.push({
      name,
      time: this._getTime(timeStamp),
      ...cleanSimpleAttributes(attributesOrStartTime, { attributeCountLimit: limits.attributePerEventCountLimit, attributeValueLengthLimit: limits.attributeValueLengthLimit }),
    });
    return this;
  }

  addLink(link: Link): this {
    if (this._ended) return this._warnEnded();
    const limits = this._shared.limits;
    const { linkCountLimit } = limits;
    if (linkCountLimit === 0) {
      this._droppedLinksCount++;
      return this;
    }
    if (linkCountLimit !== undefined && this.links.length >= linkCountLimit) {
      if (this._droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this._droppedLinksCount++;
    }
    this.links.push({
      context: link.context,
      ...cleanAttributes(link.attributes, { attributeCountLimit: limits.attributePerLinkCountLimit, attributeValueLengthLimit: limits.attributeValueLengthLimit }),
    });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._ended) return this._warnEnded();
    if (status.code === SpanStatusCode.UNSET) return this;
    if (this.status.code === SpanStatusCode.OK) return this;
    const newStatus: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') newStatus.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = newStatus;
    return this;
  }

  updateName(name: string): this {
    if (this._ended) return this._warnEnded();
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this._ended) {
      this._warnEnded();
      diag.error(`${this.name} ${this._spanContext.traceId}-${this._spanContext.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this._getTime(endTime);
    this._duration = hrTimeDuration(this.startTime, this.endTime);
    if (this._duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, this.endTime);
      this.endTime = this.startTime.slice() as HrTime;
      this._duration = [0, 0];
    }
    if (this._droppedEventsCount > 0) diag.warn(`Dropped ${this._droppedEventsCount} events because eventCountLimit reached`);
    if (this._droppedLinksCount > 0) diag.warn(`Dropped ${this._droppedLinksCount} links because linkCountLimit reached`);
    const processor = this._shared.processor;
    if (processor.onEnding) processor.onEnding(this);
    this._ended = true;
    processor.onEnd(this);
  }

  isRecording(): boolean {
    return this._ended === false;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    } else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = exception.code.toString();
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE]) this.addEvent(EXCEPTION_EVENT_NAME, attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  get duration(): HrTime {
    return this._duration;
  }

  get ended(): boolean {
    return this._ended;
  }

  get droppedAttributesCount(): number {
    return this._droppedAttributesCount;
  }

  get droppedEventsCount(): number {
    return this._droppedEventsCount;
  }

  get droppedLinksCount(): number {
    return this._droppedLinksCount;
  }

  /** What util.inspect and console.log show: the SDK span's fields, not the shared tracer state. */
  [INSPECT](depth: number, options: InspectOptions | undefined, inspect: Inspect | undefined): unknown {
    const payload = {
      name: this.name,
      kind: this.kind,
      spanContext: this._spanContext,
      parentSpanContext: this.parentSpanContext,
      status: this.status,
      startTime: this.startTime,
      endTime: this.endTime,
      duration: this._duration,
      ended: this._ended,
      attributes: this.attributes,
      events: this.events,
      links: this.links,
      droppedAttributesCount: this._droppedAttributesCount,
      droppedEventsCount: this._droppedEventsCount,
      droppedLinksCount: this._droppedLinksCount,
      instrumentationScope: this.instrumentationScope,
      resource: { attributes: settledResourceAttributes(this.resource) },
    };
    return formatInspect('LeanSpan', payload, depth, options, inspect);
  }

  /** The SDK's _getTime: a number up to performance.now() is relative to the time origin, a larger one an epoch in ms. */
  private _getTime(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number' && input <= performance.now()) {
      // The SDK's offset between the two clocks at the span's start, computed only when needed.
      const offset = this._nowAtStart - (this._performanceStartTime + performance.timeOrigin);
      return hrTime(input + offset);
    }
    if (typeof input === 'number') return millisToHrTime(input);
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input as HrTime;
    if (this._startTimeProvided) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this._performanceStartTime));
  }

  private _dropAttribute(): this {
    this._droppedAttributesCount++;
    if (this._droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
    return this;
  }

  private _warnEnded(): this {
    const { traceId, spanId } = this._spanContext;
    const error = new Error(`Operation attempted on ended Span {traceId: ${traceId}, spanId: ${spanId}}`);
    diag.warn(`Cannot execute the operation on ended Span {traceId: ${traceId}, spanId: ${spanId}}`, error);
    return this;
  }
}
