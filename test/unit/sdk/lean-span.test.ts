// The lean span against the SDK's SpanImpl as oracle: the same calls through both tracers export the same spans, bytes included.
import {
  context,
  createNoopMeter,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type DiagLogger,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { RPCType, setRPCMetadata, suppressTracing, TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  TracerProvider,
  type IdGenerator,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
  type SpanLimits,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SamplerConfig } from '../../../src/config';
import { FrameworkErrorProcessor } from '../../../src/instrumentations/http/framework-errors';
import { LeanSpan } from '../../../src/sdk/lean-span';
import { AgentTracerProvider, LeanTracer, readTracerOptions } from '../../../src/sdk/lean-tracer';
import { RedactionProcessor } from '../../../src/sdk/redaction-processor';
import { createSampler } from '../../../src/sdk/tracer-provider';

const SCOPE = '@org/otel-agent/instrumentation-http';
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, the fake clock's start
const resource = resourceFromAttributes({ 'service.name': 'lean-test', 'service.version': '1.2.3' });

/** Ids from a counter: both providers hand out the same ids for the same calls. */
class CountingIds implements IdGenerator {
  private n = 0;
  generateTraceId(): string {
    return (++this.n).toString(16).padStart(32, 'a');
  }
  generateSpanId(): string {
    return (++this.n).toString(16).padStart(16, 'b');
  }
}

/** Every call a processor gets, with what it could see then. */
class RecordingProcessor implements SpanProcessor {
  readonly calls: unknown[] = [];
  onStart(span: Span & ReadableSpan, parentContext: Context): void {
    this.calls.push(['onStart', span.name, span.ended, span.isRecording(), trace.getSpan(parentContext)?.spanContext().spanId ?? null, { ...span.attributes }]);
  }
  onEnding(span: Span & ReadableSpan): void {
    this.calls.push(['onEnding', span.name, span.ended, span.isRecording(), span.endTime, span.events.length]);
    // Still writable here, as the redaction processor needs.
    span.setAttribute('on.ending', true);
  }
  onEnd(span: ReadableSpan): void {
    this.calls.push(['onEnd', span.name, span.ended, span.duration, span.spanContext().traceFlags]);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Every span that ended, as an exporter's processor receives it (synchronously, unlike the SDK's SimpleSpanProcessor). */
class CollectingProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The samplers' arguments, for comparison. */
class RecordingSampler implements Sampler {
  readonly calls: unknown[] = [];
  constructor(
    private readonly inner: Sampler,
    private readonly extra: (name: string) => Partial<SamplingResult> = () => ({}),
  ) {}
  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    this.calls.push({ parent: trace.getSpan(ctx)?.spanContext() ?? null, traceId, name, kind, attributes: structuredClone(attributes), links: structuredClone(links) });
    return { ...this.inner.shouldSample(ctx, traceId, name, kind, attributes, links), ...this.extra(name) };
  }
  toString(): string {
    return `Recording(${this.inner.toString()})`;
  }
}

/** Diagnostics (warnings, errors) as the program would see them. */
class RecordingLogger implements DiagLogger {
  readonly lines: string[] = [];
  error = (m: string) => this.lines.push(`error ${m}`);
  warn = (m: string) => this.lines.push(`warn ${m}`);
  info = (m: string) => this.lines.push(`info ${m}`);
  debug = (m: string) => this.lines.push(`debug ${m}`);
  verbose = (m: string) => this.lines.push(`verbose ${m}`);
}

interface Options {
  spanLimits?: SpanLimits;
  sampler?: () => Sampler;
  samplerExtra?: (name: string) => Partial<SamplingResult>;
  processors?: () => SpanProcessor[];
}

interface Run {
  spans: ReadableSpan[];
  returned: unknown;
  processorCalls: unknown[];
  samplerCalls: unknown[];
  diagnostics: string[];
  tracer: Tracer;
}

/** One side: a provider (the SDK's, or the agent's with lean tracers), a fake clock from T0, the scenario, what came out. */
function run(lean: boolean, scenario: (tracer: Tracer, clock: (ms: number) => void) => unknown, options: Options = {}): Run {
  vi.useFakeTimers({ now: T0, toFake: ['Date', 'performance'] });
  const exporter = new CollectingProcessor();
  const recording = new RecordingProcessor();
  const sampler = new RecordingSampler(options.sampler?.() ?? createSampler({ kind: 'parentbased_always_on' }), options.samplerExtra);
  const logger = new RecordingLogger();
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  try {
    const config = { resource, sampler, spanLimits: options.spanLimits, idGenerator: new CountingIds(), spanProcessors: [...(options.processors?.() ?? []), recording, exporter] };
    const provider = lean ? new AgentTracerProvider({ ...config, leanSpans: true }) : new TracerProvider(config);
    const tracer = provider.getTracer(SCOPE, '0.1.0');
    expect(tracer instanceof LeanTracer).toBe(lean);
    const returned = scenario(tracer, (ms) => vi.advanceTimersByTime(ms));
    return { spans: exporter.spans, returned, processorCalls: recording.calls, samplerCalls: sampler.calls, diagnostics: logger.lines, tracer };
  } finally {
    diag.disable();
    vi.useRealTimers();
  }
}

/** Every field an exporter reads (ReadableSpan), decoded. */
function fields(span: ReadableSpan) {
  const sc = span.spanContext();
  return {
    spanContext: { ...sc, traceState: sc.traceState?.serialize() },
    parentSpanContext: span.parentSpanContext === undefined ? undefined : { ...span.parentSpanContext, traceState: span.parentSpanContext.traceState?.serialize() },
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    ended: span.ended,
    status: span.status,
    attributes: span.attributes,
    links: span.links.map((l) => ({ ...l, context: { ...l.context, traceState: l.context.traceState?.serialize() } })),
    events: span.events,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
    resource: span.resource.attributes,
    resourceSame: span.resource === resource,
    instrumentationScope: span.instrumentationScope,
  };
}

/** A span returned to the caller (recording or not), as the caller sees it. */
function visible(span: unknown) {
  if (!(span !== null && typeof span === 'object' && 'spanContext' in span)) return span;
  const s = span as Span;
  const sc = s.spanContext();
  return { isRecording: s.isRecording(), spanContext: { ...sc, traceState: sc.traceState?.serialize() } };
}

/** Runs the scenario on both sides and expects the same everywhere; returns the SDK side for further checks. */
function same(scenario: (tracer: Tracer, clock: (ms: number) => void) => unknown, options: Options = {}, exported = true): Run {
  const sdk = run(false, scenario, options);
  const lean = run(true, scenario, options);
  expect(sdk.spans.length > 0).toBe(exported);
  expect(lean.spans.length).toBe(sdk.spans.length);
  expect(lean.spans.every((s) => s instanceof LeanSpan)).toBe(true);
  expect(lean.spans.map(fields)).toStrictEqual(sdk.spans.map(fields));
  const returned = (r: unknown) => (Array.isArray(r) ? r.map(visible) : visible(r));
  expect(returned(lean.returned)).toStrictEqual(returned(sdk.returned));
  expect(lean.processorCalls).toStrictEqual(sdk.processorCalls);
  expect(lean.samplerCalls).toStrictEqual(sdk.samplerCalls);
  expect(lean.diagnostics).toStrictEqual(sdk.diagnostics);
  if (sdk.spans.length > 0) {
    // What goes on the wire: the upstream OTLP serializers' bytes.
    expect(Buffer.from(ProtobufTraceSerializer.serializeRequest(lean.spans)!)).toEqual(Buffer.from(ProtobufTraceSerializer.serializeRequest(sdk.spans)!));
    expect(Buffer.from(JsonTraceSerializer.serializeRequest(lean.spans)!).toString()).toBe(Buffer.from(JsonTraceSerializer.serializeRequest(sdk.spans)!).toString());
  }
  return sdk;
}

/** An error with a fixed stack: both sides record the same exception. */
function fixedError<T extends object>(message: string, props: T = {} as T, ErrorClass: ErrorConstructor = Error): Error & T {
  const error = Object.assign(new ErrorClass(message), props);
  error.stack = `${error.name}: ${message}\n    at handler (/app/server.js:10:5)`;
  return error;
}

class NotPlain {
  x = 1;
}

/** Values of every kind, valid and not, as user code may pass them (typed loosely on purpose). */
const VALUES: Record<string, unknown> = {
  str: 'a string value',
  empty: '',
  int: 42,
  float: -1.5,
  nan: Number.NaN,
  inf: Infinity,
  yes: true,
  no: false,
  strings: ['a', 'bb', 'ccc'],
  numbers: [1, 2.5, -3],
  booleans: [true, false],
  withNulls: ['x', null, undefined, 'y'],
  emptyArray: [],
  mixed: ['a', 1, true],
  nested: { a: 1, b: ['x'], c: { d: 'deep' } },
  bytes: new Uint8Array([1, 2, 3, 4, 5]),
  nul: null,
  undef: undefined,
  date: new Date(T0),
  instance: new NotPlain(),
  fn: () => 1,
  sym: Symbol('s'),
  big: BigInt(7),
  arrayOfObjects: [{ a: 1 }, { b: 'two' }],
  arrayWithInstance: [new NotPlain()],
  '': 'empty key',
};

let contextManager: AsyncLocalStorageContextManager;
beforeAll(() => {
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
});
afterAll(() => {
  context.disable();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('lean span against the SDK span', () => {
  it('attributes of every value type, valid and invalid, at start and set later', () => {
    same((tracer, clock) => {
      const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: VALUES as Attributes });
      clock(3);
      for (const [key, value] of Object.entries(VALUES)) span.setAttribute(`set.${key}`, value as never);
      span.setAttributes(Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [`many.${k}`, v])) as Attributes);
      span.setAttribute('str', 'overwritten');
      span.setAttribute('int', undefined as never);
      span.setAttribute('', 'x');
      clock(2);
      span.end();
    });
  });

  it('start attributes that are all primitives (the fast path), with undefined among them, and none at all', () => {
    same((tracer, clock) => {
      tracer.startSpan('a', { attributes: { 'http.request.method': 'GET', 'server.port': 8080, ok: true, gone: undefined } }).end();
      clock(1);
      tracer.startSpan('b', { attributes: {} }).end();
      tracer.startSpan('c').end();
      tracer.startSpan('d', undefined).end();
    });
  });

  it('span limits: attribute count, value length, events, links and their attributes', () => {
    const spanLimits: SpanLimits = { attributeCountLimit: 3, attributeValueLengthLimit: 4, eventCountLimit: 2, linkCountLimit: 2, attributePerEventCountLimit: 1, attributePerLinkCountLimit: 1 };
    same(
      (tracer, clock) => {
        const link = (n: number): Link => ({ context: { traceId: `${n}`.padStart(32, 'c'), spanId: `${n}`.padStart(16, 'd'), traceFlags: TraceFlags.SAMPLED }, attributes: { first: 'long value', second: n } });
        const span = tracer.startSpan('limited', { attributes: { a: 'abcdefgh', b: ['long', 'longer', 'longest'], c: 1, d: 2, e: 3 }, links: [link(1), link(2), link(3)] });
        span.setAttribute('a', 'overwrite is not new');
        span.setAttribute('f', 'dropped: count limit');
        span.setAttribute('g', 'dropped too');
        span.setAttributes({ h: 'x', a: 'zzzzzz' });
        for (let i = 0; i < 4; i++) {
          clock(1);
          span.addEvent(`event ${i}`, { kept: 'truncated value', dropped: i });
        }
        span.addLink(link(4));
        span.addLinks([link(5), link(6)]);
        span.end();
        // Start attributes within the limits take the lean path; the same limits still apply to later ones.
        const small = tracer.startSpan('small', { attributes: { x: 'abcd', y: 1 } });
        small.setAttribute('z', 'too long');
        small.setAttribute('w', 'no room');
        small.end();
        tracer.startSpan('too many at start', { attributes: { a: 1, b: 2, c: 3, d: 4 } }).end();
        // Keys that objects inherit are new keys all the same: they count towards the limit.
        const inherited = tracer.startSpan('inherited names');
        for (const key of ['toString', 'constructor', '__proto__', 'valueOf']) inherited.setAttribute(key, 'x');
        inherited.end();
        tracer.startSpan('inherited names at start', { attributes: { toString: 'a', hasOwnProperty: 'b' } }).end();
        tracer.startSpan('too long at start', { attributes: { a: 'abcde' } }).end();
      },
      { spanLimits },
    );
  });

  it('limits of zero, and a value length limit that is not positive (ignored with a warning)', () => {
    const spanLimits: SpanLimits = { attributeCountLimit: 0, attributeValueLengthLimit: 0, eventCountLimit: 0, linkCountLimit: 0, attributePerEventCountLimit: 0, attributePerLinkCountLimit: 0 };
    same(
      (tracer) => {
        const link: Link = { context: { traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { a: 1 } };
        const span = tracer.startSpan('zero', { attributes: { a: 'value' }, links: [link] });
        span.setAttribute('b', 'value');
        span.addEvent('e', { a: 1 });
        span.addLink(link);
        span.recordException(fixedError('boom'));
        span.end();
      },
      { spanLimits },
    );
    same((tracer) => {
      const span = tracer.startSpan('negative length', { attributes: { a: 'value' } });
      span.setAttribute('b', 'value');
      span.setAttribute('c', 3);
      span.end();
      // No string to truncate: the SDK still warns about the limit while cleaning the start attributes.
      tracer.startSpan('numbers only', { attributes: { n: 1 } }).end();
    }, { spanLimits: { attributeValueLengthLimit: -1 } });
  });

  it('addEvent with every time form', () => {
    same((tracer, clock) => {
      clock(500);
      const span = tracer.startSpan('events');
      clock(10);
      span.addEvent('none');
      span.addEvent('epoch ms', T0 + 123.456);
      span.addEvent('performance ms', 250.5);
      span.addEvent('date', new Date(T0 + 7));
      span.addEvent('hrtime', [1_767_225_601, 5]);
      span.addEvent('attributes and time', { a: 'x', mixed: ['a', 1] as never, obj: { no: 'simple only' } as never }, T0 + 1);
      span.addEvent('attributes only', { a: 'x' });
      span.addEvent('time as second argument wins over a bad third', T0 + 2, 'nonsense' as never);
      span.addEvent('both times', T0 + 3, T0 + 4);
      clock(5);
      span.end();
    });
  });

  it('recordException with an Error, a string, objects with code or name, and nothing usable', () => {
    same((tracer, clock) => {
      const span = tracer.startSpan('exceptions');
      clock(1);
      span.recordException(fixedError('bad type', {}, TypeError));
      span.recordException(fixedError('with code', { code: 'ECONNREFUSED' }));
      span.recordException('just a string');
      span.recordException({ code: 404, message: 'numeric code' });
      span.recordException({ name: 'NamedOnly' });
      span.recordException({ message: 'message only', stack: 'at somewhere' });
      span.recordException({} as Error);
      span.recordException(fixedError('at a time'), T0 + 1);
      span.end();
    });
  });

  it('setStatus: UNSET ignored, message only for ERROR, a non-string message dropped, OK final', () => {
    same((tracer) => {
      const a = tracer.startSpan('a');
      a.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
      a.setStatus({ code: SpanStatusCode.UNSET, message: 'ignored' });
      a.end();
      const b = tracer.startSpan('b');
      b.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
      b.end();
      const c = tracer.startSpan('c');
      c.setStatus({ code: SpanStatusCode.OK, message: 'not for OK' });
      c.setStatus({ code: SpanStatusCode.ERROR, message: 'after OK' });
      c.end();
      const d = tracer.startSpan('d');
      d.setStatus({ code: SpanStatusCode.ERROR });
      d.setStatus({ code: SpanStatusCode.ERROR, message: null as never });
      d.end();
    });
  });

  it('updateName, end twice, every operation after end ignored with the SDK diagnostics, isRecording', () => {
    same((tracer, clock) => {
      const span = tracer.startSpan('first name');
      const before = span.isRecording();
      span.updateName('second name');
      clock(4);
      span.end();
      span.end();
      span.setAttribute('late', 1);
      span.setAttributes({ late: 2 });
      span.addEvent('late');
      span.addLink({ context: span.spanContext() });
      span.addLinks([{ context: span.spanContext() }]);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'late' });
      span.updateName('late name');
      span.recordException(fixedError('late'));
      return [before, span.isRecording(), span];
    });
  });

  it('start and end time inputs, and an end before the start', () => {
    same((tracer, clock) => {
      clock(1000);
      tracer.startSpan('epoch number', { startTime: T0 + 10 }).end(T0 + 20.5);
      tracer.startSpan('performance number', { startTime: 100.25 }).end(900.75);
      tracer.startSpan('date', { startTime: new Date(T0 + 1) }).end(new Date(T0 + 2));
      tracer.startSpan('hrtime', { startTime: [1_767_225_600, 123] }).end([1_767_225_601, 999_999_999]);
      const provided = tracer.startSpan('provided start, default end', { startTime: T0 });
      clock(3);
      provided.end();
      const monotonic = tracer.startSpan('default start and end');
      clock(7);
      monotonic.end();
      tracer.startSpan('end before start', { startTime: T0 + 50 }).end(T0 + 10);
    });
  });

  it('links at start and added later, with invalid attributes among them', () => {
    same((tracer) => {
      const ctx = (n: number, remote?: boolean): SpanContext => ({ traceId: `${n}`.padStart(32, '1'), spanId: `${n}`.padStart(16, '2'), traceFlags: TraceFlags.NONE, isRemote: remote, traceState: new TraceState('k=v') });
      const span = tracer.startSpan('links', { links: [{ context: ctx(1) }, { context: ctx(2, true), attributes: { ok: 'x', bad: new NotPlain() as never, gone: undefined } }] });
      span.addLink({ context: ctx(3), attributes: VALUES as Attributes });
      span.addLinks([{ context: ctx(4) }, { context: ctx(5), attributes: { n: 5 } }]);
      span.end();
      tracer.startSpan('empty links', { links: [] }).end();
    });
  });

  it('parents: local, remote with trace state, root option, invalid; spanContext and parentSpanContext', () => {
    same((tracer) => {
      const parent = tracer.startSpan('parent');
      const local = tracer.startSpan('local child', {}, trace.setSpan(ROOT_CONTEXT, parent));
      local.end();
      const remoteContext: SpanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=abc,other=1') };
      const remote = tracer.startSpan('remote child', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, remoteContext));
      remote.end();
      const rooted = tracer.startSpan('root option', { root: true }, trace.setSpan(ROOT_CONTEXT, parent));
      rooted.end();
      const invalid = tracer.startSpan('invalid parent', {}, trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }));
      invalid.end();
      parent.end();
      return [parent, local, remote, rooted, invalid];
    });
  });

  const samplers: SamplerConfig[] = [
    { kind: 'always_on' },
    { kind: 'always_off' },
    { kind: 'traceidratio', ratio: 0.5 },
    { kind: 'parentbased_always_on' },
    { kind: 'parentbased_always_off' },
    { kind: 'parentbased_traceidratio', ratio: 0.5 },
    { kind: 'parent_based', root: { kind: 'always_on' }, remoteParentSampled: { kind: 'always_off' }, remoteParentNotSampled: { kind: 'always_on' } },
  ];
  it.each(samplers.map((s) => [s.kind, s] as const))('sampler %s: the same arguments, decisions and non-recording spans that still propagate', (_kind, config) => {
    same(
      (tracer) => {
        const out: Span[] = [];
        for (let i = 0; i < 8; i++) out.push(tracer.startSpan(`root ${i}`, { kind: SpanKind.SERVER, attributes: { i, name: `n${i}` } }));
        for (const flags of [TraceFlags.SAMPLED, TraceFlags.NONE]) {
          for (const isRemote of [true, false]) {
            const parent: SpanContext = { traceId: `${flags}${isRemote ? 1 : 0}`.padStart(32, '9'), spanId: '8'.repeat(16), traceFlags: flags, isRemote };
            out.push(tracer.startSpan(`child ${flags} ${isRemote}`, { kind: SpanKind.CLIENT, links: [{ context: parent }] }, trace.setSpanContext(ROOT_CONTEXT, parent)));
          }
        }
        for (const span of out) span.end();
        return out;
      },
      { sampler: () => createSampler(config) },
      config.kind !== 'always_off',
    );
  });

  it('a sampler that adds attributes and a trace state, and one that records without sampling', () => {
    same(
      (tracer) => {
        const spans = ['sampled', 'record only', 'dropped'].map((name) => tracer.startSpan(name, { attributes: { a: 'start', keep: 1 } }));
        spans.forEach((s) => s.end());
        return spans;
      },
      {
        sampler: () => createSampler({ kind: 'always_on' }),
        samplerExtra: (name) => ({
          decision: name === 'sampled' ? SamplingDecision.RECORD_AND_SAMPLED : name === 'record only' ? SamplingDecision.RECORD : SamplingDecision.NOT_RECORD,
          attributes: { a: 'from sampler', sampler: ['x', 'y'], bad: new NotPlain() as never, '': 1 },
          traceState: new TraceState('sampler=yes'),
        }),
        spanLimits: { attributeCountLimit: 3 },
      },
    );
  });

  it('suppressed tracing gives the invalid span, never the sampler nor a processor', () => {
    const sdk = same((tracer) => [tracer.startSpan('suppressed', {}, suppressTracing(ROOT_CONTEXT))], {}, false);
    expect(sdk.samplerCalls).toEqual([]);
    expect(visible((sdk.returned as Span[])[0])).toEqual({ isRecording: false, spanContext: { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0, traceState: undefined } });
  });

  it('startActiveSpan: user code reaches the span through trace.getActiveSpan(), in every argument form', () => {
    same((tracer, clock) => {
      const user = () => {
        const active = trace.getActiveSpan()!;
        active.setAttribute('user.id', 'u-1');
        active.setAttribute('user.bad', { nested: new NotPlain() } as never);
        active.setAttributes({ 'user.list': [1, 2], 'user.undefined': undefined });
        active.recordException(fixedError('user failure', { code: 'E_USER' }));
        active.updateName('renamed by user');
        active.setStatus({ code: SpanStatusCode.ERROR, message: 'user status' });
        clock(2);
        active.end();
        return active.spanContext().spanId;
      };
      const ids = [tracer.startActiveSpan('two args', user), tracer.startActiveSpan('three args', { kind: SpanKind.SERVER }, user)];
      const parent = tracer.startSpan('explicit parent');
      ids.push(tracer.startActiveSpan('four args', { attributes: { a: 1 } }, trace.setSpan(ROOT_CONTEXT, parent), user));
      parent.end();
      (tracer.startActiveSpan as (...args: unknown[]) => unknown)('one arg');
      return ids;
    });
  });

  it('the redaction processor rewrites exception events and the status message in onEnding', () => {
    same(
      (tracer) => {
        const span = tracer.startSpan('secret');
        span.recordException(fixedError('connect ECONNREFUSED postgres://app:hunter2@db:5432/x?token=abc123'));
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'GET https://u:pw@host/a?api_key=s3cr3t failed' });
        span.end();
        const ok = tracer.startSpan('ok status');
        ok.setStatus({ code: SpanStatusCode.OK });
        ok.end();
      },
      { processors: () => [new RedactionProcessor()] },
    );
    const lean = run(true, (tracer) => {
      const span = tracer.startSpan('secret');
      span.recordException(fixedError('connect postgres://app:hunter2@db/x'));
      span.end();
    }, { processors: () => [new RedactionProcessor()] });
    expect(JSON.stringify(lean.spans[0].events)).not.toContain('hunter2');
  });

  it('the framework error processor copies a framework span\'s exception onto the lean server span', () => {
    const scenario = (lean: boolean) => {
      vi.useFakeTimers({ now: T0, toFake: ['Date', 'performance'] });
      try {
        const exporter = new CollectingProcessor();
        const config = { resource, idGenerator: new CountingIds(), spanProcessors: [new FrameworkErrorProcessor(), exporter] };
        const provider = lean ? new AgentTracerProvider({ ...config, leanSpans: true }) : new TracerProvider(config);
        const server = provider.getTracer(SCOPE).startSpan('GET', { kind: SpanKind.SERVER });
        const ctx = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, server), { type: RPCType.HTTP, span: server });
        const koa = provider.getTracer('@opentelemetry/instrumentation-koa').startSpan('middleware - handler', {}, ctx);
        expect(koa instanceof LeanSpan).toBe(false);
        vi.advanceTimersByTime(1);
        koa.recordException(fixedError('handler failed'));
        koa.end();
        server.end();
        return exporter.spans;
      } finally {
        vi.useRealTimers();
      }
    };
    const sdk = scenario(false);
    const lean = scenario(true);
    expect(lean.map(fields)).toStrictEqual(sdk.map(fields));
    const serverSpan = lean.find((s) => s.kind === SpanKind.SERVER)!;
    expect(serverSpan).toBeInstanceOf(LeanSpan);
    expect(serverSpan.events.map((e) => e.attributes?.['exception.message'])).toEqual(['handler failed']);
  });
});

describe('AgentTracerProvider', () => {
  const limitsOf = (tracer: Tracer) => (tracer as unknown as { _spanLimits: unknown })._spanLimits;

  it('gives lean tracers to the agent\'s own scopes only, one per name, version and schema URL', () => {
    const provider = new AgentTracerProvider({ spanLimits: { attributeCountLimit: 5 } });
    for (const name of ['@org/otel-agent/instrumentation-http', '@org/otel-agent/instrumentation-undici', '@org/otel-agent/function-spans']) expect(provider.getTracer(name)).toBeInstanceOf(LeanTracer);
    for (const name of ['@org/otel-agent', '@opentelemetry/instrumentation-koa', 'my-app', '@org/otel-agent-other']) expect(provider.getTracer(name)).not.toBeInstanceOf(LeanTracer);
    expect(provider.getTracer(SCOPE, '1')).toBe(provider.getTracer(SCOPE, '1'));
    expect(provider.getTracer(SCOPE, '1')).not.toBe(provider.getTracer(SCOPE, '2'));
    expect(provider.getTracer(SCOPE, '1', { schemaUrl: 'https://s' })).not.toBe(provider.getTracer(SCOPE, '1'));
    // The provider's own merged limits (its defaults filled in), shared with the SDK's tracers.
    const sdkTracer = provider.getTracer('my-app');
    expect(limitsOf(provider.getTracer(SCOPE))).toBe(limitsOf(sdkTracer));
    expect(limitsOf(sdkTracer)).toEqual({ attributeCountLimit: 5, attributeValueLengthLimit: Infinity, eventCountLimit: 128, linkCountLimit: 128, attributePerEventCountLimit: 128, attributePerLinkCountLimit: 128 });
  });

  it('leanSpans: false, or a meter provider (the SDK counts spans for it), keeps the SDK\'s tracer for every scope', () => {
    expect(new AgentTracerProvider({ leanSpans: false }).getTracer(SCOPE)).not.toBeInstanceOf(LeanTracer);
    const meterProvider = { getMeter: () => createNoopMeter() };
    expect(new AgentTracerProvider({ meterProvider }).getTracer(SCOPE)).not.toBeInstanceOf(LeanTracer);
    expect(new AgentTracerProvider({}).getTracer(SCOPE)).toBeInstanceOf(LeanTracer);
  });

  it('reads the provider\'s own tracer options, and turns lean spans off when they are not what this SDK version has', () => {
    const provider = new TracerProvider({ resource });
    const options = readTracerOptions(provider)!;
    expect(options).toBe((provider as unknown as { _tracerOptions: unknown })._tracerOptions);
    expect(options.resource).toBe(resource);
    const fake = (tracerOptions: unknown) => readTracerOptions({ _tracerOptions: tracerOptions } as unknown as TracerProvider);
    expect(fake(undefined)).toBeUndefined();
    expect(fake({ ...options, spanLimits: { attributeCountLimit: 1 } })).toBeUndefined();
    expect(fake({ ...options, sampler: {} })).toBeUndefined();
    expect(fake({ ...options, spanProcessor: undefined })).toBeUndefined();
    expect(fake({ ...options, idGenerator: { generateSpanId: () => '1' } })).toBeUndefined();
    expect(fake({ ...options })).toBeDefined();
  });

  it('util.inspect (console.log) shows a span and a tracer as the SDK\'s, under the lean class names', () => {
    const scenario = (tracer: Tracer) => {
      const span = tracer.startSpan('inspected', { attributes: { a: 1 } });
      span.addEvent('e');
      const open = inspect(span, { depth: 5 });
      span.end();
      return [open, inspect(span, { depth: 5 }), inspect({ nested: { deeper: span } }, { depth: 1 }), inspect(tracer, { depth: 5 })];
    };
    const sdk = run(false, scenario).returned as string[];
    const lean = run(true, scenario).returned as string[];
    expect(lean).toEqual(sdk.map((text) => text.replace(/SpanImpl/g, 'LeanSpan').replace(/^Tracer /, 'LeanTracer ')));
    expect(lean[1]).toContain("name: 'inspected'");
    expect(lean[1]).not.toContain('_shared');
  });

  it('the lean span implements every method of the SDK\'s span', () => {
    const provider = new TracerProvider();
    const sdkSpan = provider.getTracer('x').startSpan('x');
    const methods = (o: object) => Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter((k) => !k.startsWith('_') && k !== 'constructor').sort();
    const leanSpan = new AgentTracerProvider().getTracer(SCOPE).startSpan('x');
    expect(methods(leanSpan)).toEqual(methods(sdkSpan));
  });
});
