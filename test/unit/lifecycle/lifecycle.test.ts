// Lifecycle in-process: flush and shutdown over the agent's own span processor and guard, with in-memory and silent exporters.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeliveryTracker, GuardedExporter, type ExporterWithExtras } from '../../../src/export/delivery';
import type { Destination } from '../../../src/export/exporters';
import { QueueingSpanProcessor } from '../../../src/export/queueing-span-processor';
import { Lifecycle, MAX_FLUSH_EXTENSIONS } from '../../../src/lifecycle/lifecycle';
import { captureWarnings } from '../../../src/runtime/logging';
import type { TracePipeline } from '../../../src/sdk/tracer-provider';

const FLUSH_TIMEOUT = 1000;
const DESTINATION = 'memory';

/** An exporter that answers only when told to: a collector that never answers, until the test says so. */
class SilentExporter implements ExporterWithExtras {
  readonly calls: { spans: ReadableSpan[]; answer: (result: ExportResult) => void }[] = [];
  releases = 0;
  export(spans: ReadableSpan[], answer: (result: ExportResult) => void): void {
    this.calls.push({ spans, answer });
  }
  release(): void {
    this.releases++;
  }
  async shutdown(): Promise<void> {}
}

/** The in-memory exporter, counting what it was given (its shutdown forgets its spans) and its shutdowns. */
class CountingExporter extends InMemorySpanExporter {
  exported = 0;
  shutdowns = 0;
  override export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exported += spans.length;
    super.export(spans, resultCallback);
  }
  override shutdown(): Promise<void> {
    this.shutdowns++;
    return super.shutdown();
  }
}

/** An exporter whose collector refuses every batch. */
class RefusedExporter implements ExporterWithExtras {
  export(_spans: ReadableSpan[], answer: (result: ExportResult) => void): void {
    answer({ code: ExportResultCode.FAILED, error: new Error('collector said no') });
  }
  async shutdown(): Promise<void> {}
}

/**
 * The trace pipeline as createTracePipeline builds it (sdk/tracer-provider.ts), one destination whose
 * exporter is `inner`: the guard, the delivery tracker and the agent's queueing span processor (batches of
 * 10, a schedule that never fires within a test: only a flush sends), and the Lifecycle as agent.ts builds it.
 */
function setup(inner: ExporterWithExtras, queue: { maxExportBatchSize?: number; maxConcurrentExports?: number } = {}) {
  const tracker = new DeliveryTracker(DESTINATION, 100);
  const exporter = new GuardedExporter(inner, tracker);
  const processor = new QueueingSpanProcessor(exporter, tracker, {
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    scheduledDelayMillis: 600_000,
    exportTimeoutMillis: 30_000,
    maxConcurrentExports: 2,
    ...queue,
  });
  const destination: Destination = { config: { kind: 'console' }, exporter, tracker, processor };
  const pipeline: TracePipeline = { provider: new TracerProvider({ spanProcessors: [processor] }), destinations: [destination] };
  const lifecycle = new Lifecycle(() => pipeline, FLUSH_TIMEOUT);
  const tracer = pipeline.provider.getTracer('lifecycle-test');
  const end = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
  };
  return { lifecycle, tracker, end };
}

let warnings: string[] = [];
let restoreWarnings: () => void = () => {};
beforeEach(() => {
  warnings = [];
  restoreWarnings = captureWarnings(warnings);
});
afterEach(() => {
  restoreWarnings();
  vi.useRealTimers();
});

const lossWarnings = () => warnings.filter((w) => w.includes('spans lost'));

/** Whether `promise` has settled, without waiting for it. */
function tracked<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  void promise.then(() => (settled = true));
  return { settled: () => settled, promise };
}

describe('Lifecycle.forceFlush', () => {
  it('delivers the spans that ended (still queued: no batch is full, no schedule fired) and returns done', async () => {
    const inner = new CountingExporter();
    const { lifecycle, tracker, end } = setup(inner);
    end(3);
    expect(inner.exported).toBe(0);
    expect(await lifecycle.forceFlush()).toBe('done');
    expect(inner.getFinishedSpans().map((s) => s.name)).toEqual(['span 0', 'span 1', 'span 2']);
    expect([tracker.delivered, tracker.undeliveredCount()]).toEqual([3, 0]);
    // Nothing new: a flush has nothing to send.
    expect(await lifecycle.forceFlush()).toBe('done');
    expect(inner.exported).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('against an exporter that never answers, returns timeout once the flush timeout has passed, and stops holding the process', async () => {
    vi.useFakeTimers();
    const inner = new SilentExporter();
    const { lifecycle, tracker, end } = setup(inner);
    end(2);
    const flush = tracked(lifecycle.forceFlush());
    await vi.advanceTimersByTimeAsync(FLUSH_TIMEOUT - 1);
    // The batch went out; no answer, and the flush still waits.
    expect(inner.calls.map((c) => c.spans.length)).toEqual([2]);
    expect(flush.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(flush.settled()).toBe(true);
    expect(await flush.promise).toBe('timeout');
    // The exporter was told to stop holding the event loop for the answer.
    expect(inner.releases).toBe(1);
    expect(tracker.undeliveredCount()).toBe(2);
  });

  it('the final flush goes on while the collector keeps answering, up to MAX_FLUSH_EXTENSIONS flush timeouts in all', async () => {
    vi.useFakeTimers();
    const inner = new SilentExporter();
    // One span per batch, one batch at a time: each answer lets the next batch go.
    const { lifecycle, tracker, end } = setup(inner, { maxExportBatchSize: 1, maxConcurrentExports: 1 });
    end(10);
    const flush = tracked(lifecycle.forceFlush({ final: true }));
    for (let round = 1; round <= MAX_FLUSH_EXTENSIONS; round++) {
      // Just before each timeout, the collector answers the batch in flight.
      await vi.advanceTimersByTimeAsync(FLUSH_TIMEOUT - 1);
      inner.calls[inner.calls.length - 1].answer({ code: ExportResultCode.SUCCESS });
      await vi.advanceTimersByTimeAsync(1);
      expect([round, flush.settled()]).toEqual([round, round === MAX_FLUSH_EXTENSIONS]);
    }
    expect(await flush.promise).toBe('timeout');
    expect(tracker.delivered).toBe(MAX_FLUSH_EXTENSIONS);
  });
});

describe('Lifecycle.shutdown', () => {
  it('is idempotent: one flush and one exporter shutdown, however often it is called; later spans are not exported', async () => {
    const inner = new CountingExporter();
    const { lifecycle, end } = setup(inner);
    end(2);
    const first = lifecycle.shutdown();
    const second = lifecycle.shutdown();
    expect(second).toBe(first);
    await first;
    await lifecycle.shutdown();
    expect(inner.exported).toBe(2);
    expect(inner.shutdowns).toBe(1);
    end(1);
    await lifecycle.forceFlush();
    expect(inner.exported).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('reports spans a collector refused: one warning naming the destination, the count and the cause', async () => {
    const { lifecycle, end } = setup(new RefusedExporter());
    end(2);
    await lifecycle.shutdown();
    expect(lossWarnings()).toEqual([`[otel-agent] warning: spans lost for ${DESTINATION}: 2 not accepted by ${DESTINATION}: collector said no; 0 delivered`]);
  });

  it('reports losses once: a later shutdown, a late answer and the exit that follows add no second report', async () => {
    vi.useFakeTimers();
    const inner = new SilentExporter();
    const { lifecycle, tracker, end } = setup(inner);
    end(1);
    const shutdown = tracked(lifecycle.shutdown());
    await vi.advanceTimersByTimeAsync(FLUSH_TIMEOUT);
    expect(shutdown.settled()).toBe(true);
    expect(lossWarnings()).toEqual([
      `[otel-agent] warning: spans lost for ${DESTINATION}: 1 undelivered when the process ended (no answer within OTEL_AGENT_FLUSH_TIMEOUT=${FLUSH_TIMEOUT} ms)`,
    ]);
    // The collector answers after all, refusing the batch: the counts change...
    inner.calls[0].answer({ code: ExportResultCode.FAILED, error: new Error('too late') });
    expect([tracker.failed, tracker.undeliveredCount()]).toEqual([1, 0]);
    await lifecycle.shutdown();
    // ...and the process exits. ('exit' cannot be emitted inside the test runner: its listener is called as install() registers it.)
    (lifecycle as unknown as { onExit(code: number): void }).onExit(0);
    expect(lossWarnings()).toHaveLength(1);
  });
});
