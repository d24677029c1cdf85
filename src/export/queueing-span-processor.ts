// The span processor of each destination: an array queue, whole batches to the exporter, every drop counted.
import { context, TraceFlags, type Context } from '@opentelemetry/api';
import { suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { BatchConfig } from '../config';
import { InFlightBatch, type DeliveryTracker, type GuardedExporter } from './delivery';

export interface QueueOptions extends BatchConfig {
  /**
   * Batches that may await an answer at once. Above one, a collector's round trip does not stall the
   * queue; the OTLP transport's own limit (30 concurrent requests) must never be reached.
   */
  maxConcurrentExports: number;
  /** Protobuf destinations: each span is encoded as it ends, and the queue holds its bytes, not the span. */
  encodeAtEnd?: (span: ReadableSpan) => ReadableSpan;
}

/**
 * Replaces the SDK's BatchSpanProcessor plus a tracking wrapper: per span, onEnd only pushes onto the
 * queue (the tracker's array, so an exit can still send what is queued) or counts a drop when the queue
 * is full. A full batch is exported at once while fewer than `maxConcurrentExports` are in flight; the
 * rest waits for an answer or for the scheduled delay. A synchronous exporter (a trace file) answers
 * inside export(), so a burst is written batch by batch and never fills the queue.
 */
export class QueueingSpanProcessor implements SpanProcessor {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Exports in progress (not yet answered), by this processor. */
  private exporting = 0;
  /** Spans in batches waiting for the resource's asynchronous attributes before their export. */
  private waiting = 0;
  /** Batches whose resource has settled, waiting for a free slot (already counted as in flight). */
  private resolved: InFlightBatch[] = [];
  /** Waiters for the next answer (flushes). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly exporter: GuardedExporter,
    private readonly tracker: DeliveryTracker,
    private readonly options: QueueOptions,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.tracker.received++;
    const queue = this.tracker.queued;
    if (queue.length >= this.options.maxQueueSize) {
      this.tracker.droppedQueueFull++;
      return;
    }
    queue.push(this.options.encodeAtEnd === undefined ? span : this.options.encodeAtEnd(span));
    if (queue.length >= this.options.maxExportBatchSize) this.exportReady(false);
    else if (this.timer === undefined) this.startTimer();
  }

  private startTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exportReady(true);
    }, this.options.scheduledDelayMillis);
    // The delay never holds the program open: an ending process flushes instead.
    this.timer.unref();
  }

  /** Exports full batches (or, when `partial`, whatever is queued) while a slot is free. */
  private exportReady(partial: boolean): void {
    const { maxExportBatchSize, maxConcurrentExports, maxQueueSize } = this.options;
    while (this.resolved.length > 0 && this.exporting < maxConcurrentExports) {
      const batch = this.resolved.shift()!;
      if (this.tracker.inFlight.has(batch)) this.exportBatch(batch.spans as ReadableSpan[], batch);
    }
    for (;;) {
      const queue = this.tracker.queued;
      if (queue.length === 0 || (!partial && queue.length < maxExportBatchSize)) break;
      // Batches waiting for the resource are not exporting yet: they take no slot, up to twice the
      // queue (the resource settles within a few ticks; a burst meanwhile is kept, not dropped).
      const resource = queue[0].resource;
      const resourcePending = resource.asyncAttributesPending === true && resource.waitForAsyncAttributes !== undefined;
      if (resourcePending ? this.waiting >= 2 * maxQueueSize : this.exporting >= maxConcurrentExports) break;
      const batch = queue.length <= maxExportBatchSize ? queue : queue.splice(0, maxExportBatchSize);
      if (batch === queue) this.tracker.queued = [];
      if (resourcePending) this.exportWhenResolved(batch, resource.waitForAsyncAttributes!());
      else this.exportBatch(batch);
    }
    const left = this.tracker.queued.length;
    if (left === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (left > 0 && this.timer === undefined) this.startTimer();
  }

  /** A resource still detecting (container.id) is awaited, as the SDK does; the batch counts as in flight meanwhile. */
  private exportWhenResolved(spans: ReadableSpan[], resolved: Promise<void>): void {
    const batch = new InFlightBatch(spans);
    this.waiting += batch.count;
    this.tracker.inFlight.add(batch);
    const go = () => {
      this.waiting -= batch.count;
      // Delivered by the exit path meanwhile: nothing left to send.
      if (this.tracker.inFlight.has(batch)) this.resolved.push(batch);
      this.exportReady(this.idleWaiters.length > 0);
      this.wake();
    };
    resolved.then(go, go);
  }

  private exportBatch(spans: ReadableSpan[], batch?: InFlightBatch): void {
    this.exporting++;
    let answered = false;
    const onAnswer = (_result: ExportResult) => {
      if (answered) return;
      answered = true;
      this.exporting--;
      // Full batches go at once; a flush in progress takes the rest too.
      this.exportReady(this.idleWaiters.length > 0);
      this.wake();
    };
    // Arguments, not a closure: a closure here would share its scope with onAnswer and hold the spans
    // until the answer, when the exporter has long serialized them.
    context.with(suppressTracing(context.active()), this.exporter.export, this.exporter, spans, onAnswer, batch);
  }

  private wake(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when the queue is empty and every export has an answer (the guard bounds each export). */
  async forceFlush(): Promise<void> {
    const releases = this.exporter.releases;
    // Stops when the lifecycle stops waiting (its flush timed out): nothing is held past that.
    while (this.exporter.releases === releases) {
      this.exportReady(true);
      if (this.exporting === 0 && this.waiting === 0 && this.resolved.length === 0 && this.tracker.queued.length === 0) return;
      const answered = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      // The exporter's flush holds the process open while its answers are awaited.
      this.exporter.forceFlush().catch(() => {});
      await answered;
    }
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.stopped = true;
    await this.exporter.shutdown();
  }
}
