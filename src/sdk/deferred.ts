// Defers the SDK until the first span starts: a program that never traces never loads it.
import {
  ProxyTracerProvider,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
} from '@opentelemetry/api';
import { describeError, warn } from '../runtime/logging';

/** Builds its target once, on first use; a build that throws costs one warning and gives `fallback`. */
class Once<T> {
  private value?: T;
  constructor(
    private readonly what: string,
    private readonly build: () => T,
    private readonly fallback: () => T,
  ) {}
  get(): T {
    if (this.value === undefined) {
      try {
        this.value = this.build();
      } catch (err) {
        warn(`${this.what} could not be set up; tracing is off: ${describeError(err)}`);
        this.value = this.fallback();
      }
    }
    return this.value;
  }
  get built(): boolean {
    return this.value !== undefined;
  }
}

/** A tracer provider that builds the real one (and the whole trace pipeline) when a span first starts. */
export class DeferredTracerProvider implements TracerProvider {
  private readonly real: Once<TracerProvider>;
  constructor(build: () => TracerProvider) {
    this.real = new Once('the trace pipeline', build, () => new ProxyTracerProvider());
  }
  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const tracer = new Once<Tracer>('a tracer', () => this.real.get().getTracer(name, version, options), () => new ProxyTracerProvider().getTracer(name));
    return {
      startSpan: (spanName: string, spanOptions?: SpanOptions, context?: Context): Span => tracer.get().startSpan(spanName, spanOptions, context),
      startActiveSpan: ((...args: unknown[]) => (tracer.get().startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'],
    };
  }
}

/** A propagator that loads the configured propagators on first inject/extract (an HTTP request). */
export class DeferredPropagator implements TextMapPropagator {
  private readonly real: Once<TextMapPropagator>;
  constructor(build: () => TextMapPropagator) {
    this.real = new Once('context propagation', build, () => ({ inject() {}, extract: (c: Context) => c, fields: () => [] }));
  }
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.real.get().inject(context, carrier, setter);
  }
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.real.get().extract(context, carrier, getter);
  }
  fields(): string[] {
    return this.real.get().fields();
  }
}
