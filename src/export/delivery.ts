// Span accounting per destination: which ended spans are queued, in flight, delivered, dropped and why.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { describeError, warn } from '../runtime/logging';

/**
 * One batch handed to the exporter and not answered yet. An exporter that serializes the batch hands
 * the request body back (`keep`): the batch then holds the body, and the spans (their attributes,
 * events, links) can be collected while the collector answers; an exit resends the body as is.
 */
export class InFlightBatch {
  readonly count: number;
  /** The spans, until the exporter has serialized them. */
  spans?: readonly ReadableSpan[];
  /** The request body for the collector, once serialized (OTLP protobuf, also for gRPC). */
  body?: Uint8Array;

  constructor(spans: readonly ReadableSpan[]) {
    this.spans = spans;
    this.count = spans.length;
  }
}

/**
 * Counts every span a destination was given: queued, in flight, delivered, dropped (and why), failed.
 * Spans are tracked per batch, not one by one: the queue is an array the span processor owns, and an
 * export in flight is one InFlightBatch.
 */
export class DeliveryTracker {
  /** Ended, sampled spans not yet handed to the exporter (the span processor's queue, oldest first). */
  queued: ReadableSpan[] = [];
  /** Ended, sampled spans given to this destination (queued or dropped): the lifecycle flushes when it grows. */
  received = 0;
  /** Batches in an export that has not completed. */
  readonly inFlight = new Set<InFlightBatch>();
  delivered = 0;
  droppedQueueFull = 0;
  failed = 0;
  lastError?: string;

  constructor(
    readonly destination: string,
    private readonly maxQueueSize: number,
  ) {}

  /** Undelivered spans still held as spans (queued, or in flight and not serialized): what an exit must still serialize and send. */
  undelivered(): ReadableSpan[] {
    const out: ReadableSpan[] = [];
    for (const batch of this.inFlight) if (batch.body === undefined && batch.spans) for (const span of batch.spans) out.push(span);
    for (const span of this.queued) out.push(span);
    return out;
  }

  /** Request bodies of batches in flight: an exit resends them as they are. */
  undeliveredBodies(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const batch of this.inFlight) if (batch.body !== undefined) out.push(batch.body);
    return out;
  }

  /** Everything undelivered was delivered by the exit path, outside the exporter. */
  markAllDelivered(): void {
    this.delivered += this.undeliveredCount();
    this.inFlight.clear();
    this.queued = [];
  }

  undeliveredCount(): number {
    let n = this.queued.length;
    for (const batch of this.inFlight) n += batch.count;
    return n;
  }

  /** One line on what was lost, or undefined when nothing was. */
  lossSummary(): string | undefined {
    const parts: string[] = [];
    if (this.droppedQueueFull > 0) parts.push(`${this.droppedQueueFull} dropped because the queue was full (OTEL_BSP_MAX_QUEUE_SIZE=${this.maxQueueSize})`);
    if (this.failed > 0) parts.push(`${this.failed} not accepted by ${this.destination}: ${this.lastError ?? 'export failed'}`);
    return parts.length > 0 ? `${parts.join('; ')}; ${this.delivered} delivered` : undefined;
  }
}

/** Receives a batch's serialized request body: the batch holds it instead of its spans from then on. */
export type KeepBody = (body: Uint8Array) => void;

/** What the guard needs from an exporter beyond the SpanExporter interface (all optional). */
export type ExporterWithExtras = SpanExporter & {
  /** `keep` is passed by the guard; an exporter that serializes may hand it the body it sends. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void, keep?: KeepBody): void;
  release?(): void;
  prepareFinalFlush?(): void;
  finalFlushSurvived?(): void;
};

export interface GuardOptions {
  /** An export without an answer after this long counts as failed (OTEL_BSP_EXPORT_TIMEOUT). */
  exportTimeoutMillis?: number;
}

/**
 * Wraps an exporter: a throw becomes a failed result; each batch's outcome feeds the tracker once
 * (unless the exit path delivered it meanwhile); the first failure prints one warning naming the
 * destination and the cause (later ones are counted, not printed).
 */
export class GuardedExporter implements SpanExporter {
  private warned = false;
  /** How many flushes timed out: a flush in progress stops holding the process at the next one. */
  releases = 0;
  private ending = false;

  constructor(
    readonly inner: ExporterWithExtras,
    readonly tracker: DeliveryTracker,
    private readonly options: GuardOptions = {},
  ) {}

  get destination(): string {
    return this.tracker.destination;
  }

  /** `batch`: the span processor's record when it already tracks the batch (waiting for the resource). */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void, batch = new InFlightBatch(spans)): void {
    const t = this.tracker;
    t.inFlight.add(batch);
    // A batch sent by the final flush is reported by the loss summary at exit only: one warning.
    const quiet = this.ending;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    // No closure here refers to `spans`: once serialized, they are not held until the answer.
    const done = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      // A batch the exit path already delivered is no longer in flight: not counted twice.
      if (t.inFlight.delete(batch)) {
        if (result.code === ExportResultCode.SUCCESS) t.delivered += batch.count;
        else this.fail(batch.count, result.error, quiet);
      }
      resultCallback(result);
    };
    const keep: KeepBody = (body) => {
      if (settled) return;
      batch.body = body;
      batch.spans = undefined;
    };
    const { exportTimeoutMillis } = this.options;
    if (exportTimeoutMillis !== undefined && exportTimeoutMillis > 0) {
      // Unref'd: a slow collector never holds the program open by itself.
      timer = setTimeout(() => done({ code: ExportResultCode.FAILED, error: new Error(`no answer within OTEL_BSP_EXPORT_TIMEOUT=${exportTimeoutMillis} ms`) }), exportTimeoutMillis);
      timer.unref();
    }
    try {
      this.inner.export(spans, done, keep);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  /** The coming flush ends the process. */
  prepareFinalFlush(): void {
    this.ending = true;
    this.inner.prepareFinalFlush?.();
  }

  /** The process went on after its final flush (a beforeExit listener scheduled more work): back to normal sending. */
  finalFlushSurvived(): void {
    this.ending = false;
    this.inner.finalFlushSurvived?.();
  }

  /** Stop holding the process open for answers still awaited (a flush timed out). */
  release(): void {
    this.releases++;
    this.inner.release?.();
  }

  private fail(count: number, error: unknown, quiet: boolean): void {
    const t = this.tracker;
    t.failed += count;
    t.lastError = error === undefined ? 'export failed' : describeError(error);
    if (!this.warned && !quiet && !(error as { reported?: boolean } | undefined)?.reported) {
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
