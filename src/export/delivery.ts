// Span accounting per destination: which ended spans are queued, in flight, delivered, dropped and why.
import { createNoopMeter, TraceFlags, type Context, type MeterProvider } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { describeError, warn } from '../logging';

/**
 * Spans that may await the collector's answer: twice the queue, so a burst while the first answers
 * are on their way is not dropped; beyond that the collector is too slow and new batches are dropped.
 */
export const maxInFlightFor = (maxQueueSize: number) => 2 * maxQueueSize;

/**
 * Knows which ended spans have not reached the exporter yet (the SDK keeps its queue private), so an
 * exit can still send them, and counts every span that is lost, and why.
 */
export class DeliveryTracker {
  /** Ended, sampled spans not yet handed to the exporter (the batch processor's queue). */
  readonly queued = new Set<ReadableSpan>();
  /** Spans in an export that has not completed. */
  readonly inFlight = new Set<ReadableSpan>();
  delivered = 0;
  droppedQueueFull = 0;
  /** Dropped because too many spans were already on their way to a slow collector. */
  droppedInFlight = 0;
  failed = 0;
  lastError?: string;
  /** Set by the batch processor's self-observability counter when it drops the span being ended. */
  droppedNow = false;

  constructor(
    readonly destination: string,
    private readonly maxQueueSize: number,
  ) {}

  /** Spans that were ended but are not known to be delivered: what an exit must still send. */
  undelivered(): ReadableSpan[] {
    return [...this.inFlight, ...this.queued];
  }

  /**
   * A meter provider for the batch processor's self-observability option: it reports the spans the
   * processor drops because its queue is full (`otel.sdk.processor.span.processed`, error.type
   * queue_full), which tells the tracker, synchronously, that the span just ended was not queued.
   */
  dropReporter(): MeterProvider {
    const noop = createNoopMeter();
    const meter = Object.create(noop) as typeof noop;
    meter.createCounter = (name, options) => {
      if (name !== 'otel.sdk.processor.span.processed') return noop.createCounter(name, options);
      return {
        add: (_value, attributes) => {
          if (attributes?.['error.type'] === 'queue_full') this.droppedNow = true;
        },
      };
    };
    return { getMeter: () => meter };
  }

  /** Spans delivered by the exit path, outside the exporter. */
  markDelivered(spans: readonly ReadableSpan[]): void {
    for (const span of spans) {
      this.queued.delete(span);
      this.inFlight.delete(span);
    }
    this.delivered += spans.length;
  }

  /** One line on what was lost, or undefined when nothing was. */
  lossSummary(): string | undefined {
    const parts: string[] = [];
    if (this.droppedQueueFull > 0) parts.push(`${this.droppedQueueFull} dropped because the queue was full (OTEL_BSP_MAX_QUEUE_SIZE=${this.maxQueueSize})`);
    if (this.droppedInFlight > 0) parts.push(`${this.droppedInFlight} dropped because the collector was too slow (more than ${maxInFlightFor(this.maxQueueSize)} spans awaiting its answer)`);
    if (this.failed > 0) parts.push(`${this.failed} not accepted by ${this.destination}: ${this.lastError ?? 'export failed'}`);
    return parts.length > 0 ? `${parts.join('; ')}; ${this.delivered} delivered` : undefined;
  }
}

/** Feeds the tracker, then passes every call on to the batch (or simple) processor. */
export class TrackingSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly tracker: DeliveryTracker,
  ) {}
  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }
  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return this.inner.onEnd(span);
    // Queued first: the processor may export it synchronously from inside onEnd.
    const t = this.tracker;
    t.queued.add(span);
    t.droppedNow = false;
    this.inner.onEnd(span);
    if (t.droppedNow) {
      t.queued.delete(span);
      t.droppedQueueFull++;
    }
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Wraps an exporter: a throw becomes a failed result; outcomes feed the tracker; the first failure
 * prints one warning naming the destination and the cause (later ones are counted, not printed).
 */
export interface GuardOptions {
  /**
   * Answer the batch processor as soon as the spans are handed over, instead of when the collector
   * answers: the processor's own export timer would otherwise hold the process open while a slow
   * collector thinks. Spans awaiting an answer stay counted as in flight, up to `maxInFlight`.
   */
  answerEarly?: boolean;
  maxInFlight?: number;
}

export class GuardedExporter implements SpanExporter {
  private warned = false;

  constructor(
    readonly inner: SpanExporter & { release?(): void; prepareFinalFlush?(): void },
    readonly tracker: DeliveryTracker,
    private readonly options: GuardOptions = {},
  ) {}

  get destination(): string {
    return this.tracker.destination;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const t = this.tracker;
    for (const span of spans) t.queued.delete(span);
    const { answerEarly = false, maxInFlight = Number.POSITIVE_INFINITY } = this.options;
    // At least one batch may always be on its way, as with the batch processor alone.
    if (answerEarly && t.inFlight.size > 0 && t.inFlight.size + spans.length > maxInFlight) {
      t.droppedInFlight += spans.length;
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('too many spans awaiting the collector') });
      return;
    }
    for (const span of spans) t.inFlight.add(span);
    let answered = false;
    const answer = (result: ExportResult) => {
      if (answered) return;
      answered = true;
      resultCallback(result);
    };
    let settled = false;
    const done = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      // Spans an exit already delivered are no longer in flight: do not count them twice.
      const stillOurs = spans.filter((s) => t.inFlight.delete(s));
      if (result.code === ExportResultCode.SUCCESS) t.delivered += stillOurs.length;
      else this.fail(stillOurs.length, result.error);
      answer(result);
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
    if (answerEarly) answer({ code: ExportResultCode.SUCCESS });
  }

  /** The coming flush ends the process. */
  prepareFinalFlush(): void {
    this.inner.prepareFinalFlush?.();
  }

  /** Stop holding the process open for answers still awaited (a flush timed out). */
  release(): void {
    this.inner.release?.();
  }

  private fail(count: number, error: unknown): void {
    const t = this.tracker;
    t.failed += count;
    t.lastError = error === undefined ? 'export failed' : describeError(error);
    if (!this.warned) {
      this.warned = true;
      warn(`cannot export spans to ${t.destination}: ${t.lastError} (the program is not affected; losses are counted and reported at exit)`);
    }
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.inner.shutdown();
  }
}
