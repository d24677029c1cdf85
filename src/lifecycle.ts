// Lifecycle: start, flush and shutdown of the pipeline, and what happens when the process ends.
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { describeError, warn } from './logging';
import type { SignalPipeline } from './sdk/metrics-logs';
import type { TracePipeline } from './sdk/tracer-provider';

/** Counts ended spans, so the agent flushes only when there is something new to deliver. */
export class EndedSpanCounter implements SpanProcessor {
  ended = 0;
  onStart(_span: Span, _parentContext: Context): void {}
  onEnd(_span: ReadableSpan): void {
    this.ended++;
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

type Outcome = 'done' | 'timeout';

/** Resolves with 'timeout' after `ms` without holding the event loop open. */
function withTimeout(work: Promise<unknown>, ms: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve('done');
      },
      (err: unknown) => {
        clearTimeout(timer);
        warn(`flushing spans failed: ${describeError(err)}`);
        resolve('done');
      },
    );
  });
}

export class Lifecycle {
  private flushedAt = 0;
  /** Metrics and logs get one final flush when the loop first drains. */
  private signalsFlushed = false;
  private shutdownPromise?: Promise<void>;

  constructor(
    private readonly pipeline: TracePipeline,
    private readonly counter: EndedSpanCounter,
    private readonly flushTimeoutMillis: number,
    private readonly signals: readonly SignalPipeline[] = [],
  ) {}

  /** Delivers every ended span, waiting at most the flush timeout. */
  async forceFlush(): Promise<Outcome> {
    this.flushedAt = this.counter.ended;
    const all = [this.pipeline.provider.forceFlush(), ...this.signals.map((s) => s.forceFlush())];
    return withTimeout(Promise.all(all), this.flushTimeoutMillis);
  }

  /** Flushes, then stops the pipeline; reports spans that could not be delivered. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const all = [this.pipeline.provider.shutdown(), ...this.signals.map((s) => s.shutdown())];
      await withTimeout(Promise.all(all), this.flushTimeoutMillis);
      this.reportLosses();
    })();
    return this.shutdownPromise;
  }

  private reportLosses(): void {
    for (const exporter of this.pipeline.exporters) {
      const { failedSpans, lastError } = exporter.stats;
      if (failedSpans > 0) warn(`${failedSpans} span(s) could not be delivered to ${exporter.destination}: ${lastError}`);
    }
  }

  /**
   * Normal end: when the event loop drains, flush what ended since the last flush. A flush that
   * outlives the timeout ends the process with the exit code it was about to have.
   */
  installExitHandlers(): void {
    process.on('beforeExit', () => {
      const signalsPending = this.signals.length > 0 && !this.signalsFlushed;
      if (this.counter.ended === this.flushedAt && !signalsPending) return;
      this.signalsFlushed = true;
      void this.forceFlush().then((outcome) => {
        if (outcome === 'timeout') {
          const destinations = this.pipeline.exporters.map((e) => e.destination).join(', ');
          warn(`spans were still being exported to ${destinations} after ${this.flushTimeoutMillis} ms (OTEL_AGENT_FLUSH_TIMEOUT); exiting without waiting longer`);
          this.reportLosses();
          process.exit();
        }
      });
    });
  }
}
