// The per-destination span processor: an array queue, whole batches, bounded batches in flight, every span accounted.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { DeliveryTracker, GuardedExporter, type ExporterWithExtras } from '../../../src/export/delivery';
import { QueueingSpanProcessor } from '../../../src/export/queueing-span-processor';

/** An exporter that answers only when told to, so the test decides when a batch completes. */
class ManualExporter implements SpanExporter {
  readonly calls: { spans: ReadableSpan[]; answer: (r: ExportResult) => void }[] = [];
  export(spans: ReadableSpan[], answer: (r: ExportResult) => void): void {
    this.calls.push({ spans, answer });
  }
  async shutdown(): Promise<void> {}
}

function setup(options: Partial<{ maxQueueSize: number; maxExportBatchSize: number; maxConcurrentExports: number }> = {}) {
  const inner = new ManualExporter();
  const tracker = new DeliveryTracker('test', options.maxQueueSize ?? 10);
  const exporter = new GuardedExporter(inner, tracker);
  const processor = new QueueingSpanProcessor(exporter, tracker, {
    maxQueueSize: 10,
    maxExportBatchSize: 4,
    scheduledDelayMillis: 60_000,
    exportTimeoutMillis: 30_000,
    maxConcurrentExports: 2,
    ...options,
  });
  const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('t');
  const end = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end();
  };
  const accounted = () => tracker.delivered + tracker.failed + tracker.droppedQueueFull + tracker.undeliveredCount();
  return { inner, tracker, processor, end, accounted };
}

const ok = { code: ExportResultCode.SUCCESS };

describe('QueueingSpanProcessor', () => {
  it('exports each full batch at once, up to the concurrency limit; the rest waits in the queue, overflow is counted', () => {
    const { inner, tracker, end, accounted } = setup();
    end(4);
    expect(inner.calls.map((c) => c.spans.length)).toEqual([4]);
    end(4);
    expect(inner.calls.map((c) => c.spans.length)).toEqual([4, 4]);
    // Two batches in flight: the next ones queue (10) and the rest is dropped.
    end(14);
    expect(inner.calls).toHaveLength(2);
    expect(tracker.queued).toHaveLength(10);
    expect(tracker.droppedQueueFull).toBe(4);
    expect(accounted()).toBe(22);
    // An answer frees a slot: the next full batch goes at once.
    inner.calls[0].answer(ok);
    expect(inner.calls).toHaveLength(3);
    expect(tracker.delivered).toBe(4);
    expect(accounted()).toBe(22);
  });

  it('forceFlush sends partial batches and resolves when every export has an answer', async () => {
    const { inner, tracker, processor, end } = setup();
    end(6);
    const flushed = processor.forceFlush();
    await Promise.resolve();
    expect(inner.calls.map((c) => c.spans.length)).toEqual([4, 2]);
    let done = false;
    void flushed.then(() => (done = true));
    inner.calls[0].answer(ok);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    inner.calls[1].answer({ code: ExportResultCode.FAILED, error: new Error('nope') });
    await flushed;
    expect(tracker.delivered).toBe(4);
    expect(tracker.failed).toBe(2);
    expect(tracker.undeliveredCount()).toBe(0);
  });

  it('spans the exit path delivered are not counted again when their late answer arrives', () => {
    const { inner, tracker, end, accounted } = setup();
    end(6);
    expect(tracker.undelivered()).toHaveLength(6);
    tracker.markAllDelivered();
    expect(tracker.delivered).toBe(6);
    inner.calls[0].answer({ code: ExportResultCode.FAILED, error: new Error('late') });
    expect(tracker.failed).toBe(0);
    expect(tracker.delivered).toBe(6);
    expect(accounted()).toBe(6);
  });

  it('a batch whose exporter kept its serialized body holds the body, not its spans, until the answer', () => {
    const tracker = new DeliveryTracker('test', 10);
    const answers: ((r: ExportResult) => void)[] = [];
    const serializing: ExporterWithExtras = {
      export: (spans, answer, keep) => {
        keep?.(new Uint8Array(spans.length));
        answers.push(answer);
      },
      shutdown: async () => {},
    };
    const processor = new QueueingSpanProcessor(new GuardedExporter(serializing, tracker), tracker, { maxQueueSize: 10, maxExportBatchSize: 4, scheduledDelayMillis: 60_000, exportTimeoutMillis: 30_000, maxConcurrentExports: 2 });
    const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('t');
    for (let i = 0; i < 6; i++) tracer.startSpan(`s${i}`).end();
    // The first batch (4) is in flight as a body; 2 spans are still queued.
    expect(tracker.undeliveredCount()).toBe(6);
    expect(tracker.undeliveredBodies().map((b) => b.length)).toEqual([4]);
    expect(tracker.undelivered().map((s) => s.name)).toEqual(['s4', 's5']);
    expect([...tracker.inFlight].every((batch) => batch.spans === undefined)).toBe(true);
    answers[0]({ code: ExportResultCode.SUCCESS });
    expect(tracker.delivered).toBe(4);
    expect(tracker.undeliveredBodies()).toEqual([]);
    expect(tracker.undeliveredCount()).toBe(2);
  });

  it('a synchronous exporter (a trace file) takes a burst batch by batch: nothing is dropped', () => {
    const { tracker, end } = setup({ maxConcurrentExports: 1 });
    const sync = new GuardedExporter({ export: (_s, answer) => answer(ok), shutdown: async () => {} }, tracker);
    const processor = new QueueingSpanProcessor(sync, tracker, { maxQueueSize: 10, maxExportBatchSize: 4, scheduledDelayMillis: 60_000, exportTimeoutMillis: 30_000, maxConcurrentExports: 1 });
    const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('t');
    for (let i = 0; i < 1000; i++) tracer.startSpan('burst').end();
    expect(tracker.droppedQueueFull).toBe(0);
    expect(tracker.delivered).toBe(1000);
    expect(tracker.queued).toHaveLength(0);
    void end;
  });
});
