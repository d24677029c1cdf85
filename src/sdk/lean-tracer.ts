// The tracer of the agent's own instrumentations: the SDK Tracer's startSpan (sampling, suppression, limits) creating lean spans.
import {
  context as apiContext,
  diag,
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  SpanKind,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TraceState,
} from '@opentelemetry/api';
import { cleanAttributes, isTracingSuppressed, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { TracerProvider, type IdGenerator, type Sampler, type SpanProcessor, type TracerProviderOptions } from '@opentelemetry/sdk-trace';
import { formatInspect, INSPECT, LeanSpan, settledResourceAttributes, type LeanSpanShared, type MergedSpanLimits } from './lean-span';

/** What the SDK's TracerProvider hands each of its tracers (its `_tracerOptions`), minus the meter provider. */
export interface LeanTracerOptions {
  readonly resource: Resource;
  readonly sampler: Sampler;
  readonly spanLimits: MergedSpanLimits;
  readonly idGenerator: IdGenerator;
  readonly spanProcessor: SpanProcessor;
}

const NO_ATTR_LIMITS = { attributeCountLimit: Infinity, attributeValueLengthLimit: Infinity };
const NO_OPTIONS: SpanOptions = {};

/**
 * startSpan as the SDK's Tracer (sdk-trace 3.0, Tracer.ts) does it, with the same sampler arguments, the same
 * suppressed and non-recording spans, and the same cleaning of attributes and links, without its per-span waste:
 * no TracerMetrics counters (the agent gives the SDK no meter provider, so they are no-ops), no links array when
 * there are no links to copy, and one copy of the start attributes instead of two when they are strings, numbers
 * and booleans within the limits and the sampler adds none (the SDK's second cleanAttributes would copy them as is).
 */
export class LeanTracer implements Tracer {
  readonly instrumentationScope: InstrumentationScope;
  private readonly _sampler: Sampler;
  private readonly _spanLimits: MergedSpanLimits;
  private readonly _idGenerator: IdGenerator;
  private readonly _shared: LeanSpanShared;

  constructor(instrumentationScope: InstrumentationScope, options: LeanTracerOptions) {
    this.instrumentationScope = instrumentationScope;
    this._sampler = options.sampler;
    this._spanLimits = options.spanLimits;
    this._idGenerator = options.idGenerator;
    const lengthLimit = options.spanLimits.attributeValueLengthLimit;
    this._shared = {
      resource: options.resource,
      scope: instrumentationScope,
      limits: options.spanLimits,
      processor: options.spanProcessor,
      fastLengthLimit: lengthLimit > 0 ? lengthLimit : undefined,
    };
  }

  startSpan(name: string, options: SpanOptions = NO_OPTIONS, context: Context = apiContext.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    const parentSpan = trace.getSpan(context);
    if (isTracingSuppressed(context)) {
      diag.debug('Instrumentation suppressed, returning Noop Span');
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    const parentSpanContext = parentSpan?.spanContext();
    const spanId = this._idGenerator.generateSpanId();
    let validParentSpanContext: SpanContext | undefined;
    let traceId: string;
    let traceState: TraceState | undefined;
    if (!parentSpanContext || !trace.isSpanContextValid(parentSpanContext)) {
      traceId = this._idGenerator.generateTraceId();
    } else {
      traceId = parentSpanContext.traceId;
      traceState = parentSpanContext.traceState;
      validParentSpanContext = parentSpanContext;
    }
    const spanKind = options.kind ?? SpanKind.INTERNAL;
    const limits = this._spanLimits;
    const links: Link[] = options.links === undefined || options.links.length === 0 ? [] : options.links.map((link) => cleanLink(link, limits));

    // The SDK's first pass: every valid value, no limits (what the sampler sees).
    let attributes: Attributes;
    let droppedAttributesCount = 0;
    const primitives = primitiveCopy(options.attributes);
    if (primitives !== undefined) {
      attributes = primitives;
    } else {
      const cleaned = cleanAttributes(options.attributes, NO_ATTR_LIMITS);
      attributes = cleaned.attributes ?? {};
      droppedAttributesCount = cleaned.droppedAttributesCount ?? 0;
    }
    const samplingResult = this._sampler.shouldSample(context, traceId, name, spanKind, attributes, links);
    traceState = samplingResult.traceState ?? traceState;
    const traceFlags = samplingResult.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const spanContext: SpanContext = { traceId, spanId, traceFlags, traceState };
    if (samplingResult.decision === SamplingDecision.NOT_RECORD) {
      diag.debug('Recording is off, propagating context in a non-recording span');
      return trace.wrapSpanContext(spanContext);
    }

    // The SDK's second pass (the sampler's attributes added, the limits applied): skipped when it would copy as is.
    const attributesCount = primitives === undefined || samplingResult.attributes !== undefined ? undefined : countWithinLimits(primitives, limits);
    if (attributesCount === undefined) {
      const cleaned = cleanAttributes(Object.assign(attributes, samplingResult.attributes), limits);
      attributes = cleaned.attributes ?? {};
      droppedAttributesCount += cleaned.droppedAttributesCount ?? 0;
    }
    return new LeanSpan(this._shared, {
      context,
      spanContext,
      name,
      kind: spanKind,
      parentSpanContext: validParentSpanContext,
      attributes,
      droppedAttributesCount,
      attributesCount,
      links,
      startTime: options.startTime,
    });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, arg2?: F | SpanOptions, arg3?: F | Context, arg4?: F): ReturnType<F> | undefined {
    let opts: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (arguments.length < 2) return undefined;
    else if (arguments.length === 2) fn = arg2 as F;
    else if (arguments.length === 3) {
      opts = arg2 as SpanOptions;
      fn = arg3 as F;
    } else {
      opts = arg2 as SpanOptions;
      ctx = arg3 as Context;
      fn = arg4 as F;
    }
    const parentContext = ctx ?? apiContext.active();
    const span = this.startSpan(name, opts, parentContext);
    const contextWithSpanSet = trace.setSpan(parentContext, span);
    return apiContext.with(contextWithSpanSet, fn as (span: Span) => ReturnType<F>, undefined, span);
  }

  /** What util.inspect shows, as for the SDK's Tracer. */
  [INSPECT](depth: number, options: Parameters<typeof formatInspect>[3], inspect: Parameters<typeof formatInspect>[4]): unknown {
    const payload = { instrumentationScope: this.instrumentationScope, resource: { attributes: settledResourceAttributes(this._shared.resource) }, spanLimits: this._spanLimits };
    return formatInspect('LeanTracer', payload, depth, options, inspect);
  }
}

function cleanLink(link: Link, limits: MergedSpanLimits): Link {
  return { context: link.context, ...cleanAttributes(link.attributes, { attributeCountLimit: limits.attributePerLinkCountLimit, attributeValueLengthLimit: limits.attributeValueLengthLimit }) };
}

/**
 * A copy of start attributes whose values are all strings, numbers, booleans or undefined (dropped, as the SDK drops
 * them) under non-empty keys: what the SDK's cleanAttributes without limits returns for them. Undefined for anything else.
 */
function primitiveCopy(input: Attributes | undefined): Attributes | undefined {
  const out: Record<string, AttributeValue> = {};
  if (input === undefined) return out;
  if (typeof input !== 'object' || input === null) return undefined;
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (value === undefined) continue;
    const type = typeof value;
    if ((type !== 'string' && type !== 'number' && type !== 'boolean') || key.length === 0) return undefined;
    out[key] = value;
  }
  return out;
}

/**
 * The number of these primitive attributes when the SDK's cleanAttributes with the span limits would keep every
 * one of them unchanged (within the count limit, no string over a positive length limit); undefined otherwise.
 */
function countWithinLimits(attributes: Attributes, limits: MergedSpanLimits): number | undefined {
  const lengthLimit = limits.attributeValueLengthLimit;
  if (!(lengthLimit > 0)) return undefined;
  let count = 0;
  for (const key in attributes) {
    // Own keys only, as Object.entries in cleanAttributes (an enumerable property on Object.prototype is not one).
    if (!Object.hasOwn(attributes, key)) continue;
    count++;
    const value = attributes[key];
    if (typeof value === 'string' && !(value.length <= lengthLimit)) return undefined;
  }
  return count <= limits.attributeCountLimit ? count : undefined;
}

/** The agent's own instrumentations: their scope names start with this (the process span's `@org/otel-agent` does not). */
export const AGENT_SCOPE_PREFIX = '@org/otel-agent/';

export interface AgentTracerProviderOptions extends TracerProviderOptions {
  /** Lean tracers for the agent's own scopes (OTEL_AGENT_LEAN_SPANS, default true). */
  readonly leanSpans?: boolean;
}

/**
 * The SDK's TracerProvider, whose getTracer gives the agent's own instrumentations (scope names starting with
 * `@org/otel-agent/`) a {@link LeanTracer} sharing the provider's resource, sampler, merged span limits, id
 * generator and span processors, read from the provider itself so that both kinds of tracer see the same.
 * Every other scope (upstream instrumentations, the program's own tracers) gets the SDK's Tracer unchanged.
 * Off (every tracer the SDK's) when asked, when a meter provider is given (the SDK's tracers count spans for it),
 * or when the provider's internals are not what this SDK version has.
 */
export class AgentTracerProvider extends TracerProvider {
  private readonly leanOptions: LeanTracerOptions | undefined;
  private readonly leanTracers = new Map<string, LeanTracer>();

  constructor(options: AgentTracerProviderOptions = {}) {
    super(options);
    this.leanOptions = options.leanSpans === false || options.meterProvider !== undefined ? undefined : readTracerOptions(this);
  }

  override getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const lean = this.leanOptions;
    if (lean === undefined || typeof name !== 'string' || !name.startsWith(AGENT_SCOPE_PREFIX)) return super.getTracer(name, version, options);
    const key = `${name}@${version || ''}:${options?.schemaUrl || ''}`;
    let tracer = this.leanTracers.get(key);
    if (tracer === undefined) {
      tracer = new LeanTracer({ name, version, schemaUrl: options?.schemaUrl }, lean);
      this.leanTracers.set(key, tracer);
    }
    return tracer;
  }
}

/** The options the SDK's TracerProvider built for its tracers (defaults merged), when they have the expected shape. */
export function readTracerOptions(provider: TracerProvider): LeanTracerOptions | undefined {
  const options = (provider as unknown as { _tracerOptions?: Partial<Record<keyof LeanTracerOptions, unknown>> })._tracerOptions;
  if (typeof options !== 'object' || options === null) return undefined;
  const { resource, sampler, spanLimits, idGenerator, spanProcessor } = options as Record<string, Record<string, unknown> | undefined>;
  const limitsComplete = spanLimits !== undefined && LIMIT_KEYS.every((k) => typeof spanLimits[k] === 'number');
  if (
    typeof resource !== 'object' ||
    typeof sampler?.shouldSample !== 'function' ||
    !limitsComplete ||
    typeof idGenerator?.generateSpanId !== 'function' ||
    typeof idGenerator.generateTraceId !== 'function' ||
    typeof spanProcessor?.onStart !== 'function' ||
    typeof spanProcessor.onEnd !== 'function'
  ) {
    diag.debug('lean spans off: the SDK TracerProvider does not have the expected tracer options');
    return undefined;
  }
  return options as unknown as LeanTracerOptions;
}

const LIMIT_KEYS: readonly (keyof MergedSpanLimits)[] = ['attributeCountLimit', 'attributeValueLengthLimit', 'eventCountLimit', 'linkCountLimit', 'attributePerEventCountLimit', 'attributePerLinkCountLimit'];
