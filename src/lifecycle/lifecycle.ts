// Lifecycle: flush and shutdown, and delivery of every ended span however the process ends.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { describeError, warn } from '../runtime/logging';
import type { ProcessSpan } from '../context/process-context';
import type { Destination } from '../export/exporters';
import { deliverSync } from '../export/sync-delivery';
import { addHiddenListener, removeHiddenListener } from './hidden-listeners';
import type { SignalPipeline } from '../sdk/metrics-logs';
import type { TracePipeline } from '../sdk/tracer-provider';

type Outcome = 'done' | 'timeout';

/** A final flush that keeps getting answers (a burst still being delivered) may go on this many flush timeouts in all. */
export const MAX_FLUSH_EXTENSIONS = 5;

/**
 * Resolves with 'timeout' after `ms` without holding the event loop open. With `progress` (a count
 * that grows as spans are delivered), a timeout during which it grew is extended, up to
 * MAX_FLUSH_EXTENSIONS timeouts in all: a collector that keeps answering is not cut off mid-burst,
 * and one that stops answering still ends the wait after `ms`.
 */
function withTimeout(work: Promise<unknown>, ms: number, progress?: () => number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let rounds = 1;
    let seen = progress?.() ?? 0;
    const expire = () => {
      const now = progress?.() ?? seen;
      if (now !== seen && rounds < MAX_FLUSH_EXTENSIONS) {
        seen = now;
        rounds++;
        timer = setTimeout(expire, ms);
        timer.unref();
        return;
      }
      resolve('timeout');
    };
    let timer = setTimeout(expire, ms);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve('done');
      },
      () => {
        // Export failures are counted and reported by the destinations themselves.
        clearTimeout(timer);
        resolve('done');
      },
    );
  });
}

/** Run when the process is about to end, before the final flush (see onProcessEnding). */
const endingHooks: (() => void)[] = [];

/**
 * Registers `hook` to run when the process is about to end (the loop drained, process.exit(), a crash,
 * a terminating signal without a handler of the program's), before the spans are flushed: an
 * instrumentation ends the spans still open then (the undici one: response bodies never read), so
 * they are delivered. Hooks must be idempotent: more than one exit path may run.
 */
export function onProcessEnding(hook: () => void): void {
  endingHooks.push(hook);
}

function runEndingHooks(): void {
  for (const hook of endingHooks) {
    try {
      hook();
    } catch {
      // An instrumentation's failure never changes how the process ends.
    }
  }
}

/** Termination signals whose default action the agent preserves after flushing. */
const TERMINATING_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
type TerminatingSignal = (typeof TERMINATING_SIGNALS)[number];

export class Lifecycle {
  private flushedAt = 0;
  /** Metrics and logs get one final flush when the loop first drains. */
  private signalsFlushed = false;
  private shutdownPromise?: Promise<void>;
  /** Set once the process is ending: no exit path waits past it. */
  private exitDeadline?: number;
  private lossesReported = false;
  private dyingBy?: TerminatingSignal;
  private polledForSignals = false;
  /** The span of the whole run, when there is one: ended by whichever exit path comes first. */
  processSpan?: ProcessSpan;

  constructor(
    /** The trace pipeline, once the first span has built it. */
    private readonly pipeline: () => TracePipeline | undefined,
    private readonly flushTimeoutMillis: number,
    private readonly signals: readonly SignalPipeline[] = [],
  ) {}

  private get destinations(): readonly Destination[] {
    return this.pipeline()?.destinations ?? [];
  }

  /**
   * Spans given to the destinations so far: the agent flushes only when there is something new to
   * deliver. Counted by the span processors themselves (no extra processor called for every span).
   */
  private endedSpans(): number {
    let n = 0;
    for (const { tracker } of this.destinations) n += tracker.received;
    return n;
  }

  /**
   * Delivers every ended span, waiting at most the flush timeout. `final`: the process ends after this
   * flush (or when it times out), so an exporter may send from the main thread.
   */
  async forceFlush({ final = false } = {}): Promise<Outcome> {
    this.flushedAt = this.endedSpans();
    const destinations = this.destinations;
    if (final) destinations.forEach((d) => d.exporter.prepareFinalFlush());
    // The span processors send everything and wait for the answers; then the exporters (and the metrics and logs pipelines) settle.
    const all = Promise.allSettled([this.pipeline()?.provider.forceFlush(), ...this.signals.map((s) => s.forceFlush())]).then(() =>
      Promise.allSettled(destinations.map((d) => d.exporter.forceFlush())),
    );
    const delivered = () => destinations.reduce((n, d) => n + d.tracker.delivered, 0);
    const outcome = await withTimeout(all, this.flushTimeoutMillis, final ? delivered : undefined);
    if (outcome === 'timeout') destinations.forEach((d) => d.exporter.release());
    return outcome;
  }

  /** Flushes, then stops the pipeline; reports spans that could not be delivered. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const all = [this.pipeline()?.provider.shutdown(), ...this.signals.map((s) => s.shutdown())];
      await withTimeout(Promise.all(all), this.flushTimeoutMillis);
      this.reportLosses();
    })();
    return this.shutdownPromise;
  }

  /** One warning per destination that lost spans, once per process. */
  private reportLosses(): void {
    if (this.lossesReported) return;
    this.lossesReported = true;
    for (const { tracker } of this.destinations) {
      const undelivered = tracker.undeliveredCount();
      const summary = tracker.lossSummary();
      if (summary === undefined && undelivered === 0) continue;
      const why = tracker.lastError ? `last error: ${tracker.lastError}` : `no answer within OTEL_AGENT_FLUSH_TIMEOUT=${this.flushTimeoutMillis} ms`;
      const parts = [summary, undelivered > 0 ? `${undelivered} undelivered when the process ended (${why})` : undefined].filter(Boolean);
      warn(`spans lost for ${tracker.destination}: ${parts.join('; ')}`);
    }
  }

  private startExitClock(): void {
    this.exitDeadline ??= Date.now() + this.flushTimeoutMillis;
  }

  install(): void {
    process.on('beforeExit', () => this.onBeforeExit());
    process.on('exit', (code) => this.onExit(code));
    process.on('uncaughtExceptionMonitor', (err, origin) => this.onCrash(err, origin));
    // Signals reach only the main thread.
    if (!isMainThread()) return;
    // Hidden from process.listeners() and listenerCount(): libraries see the program's listeners only.
    for (const signal of TERMINATING_SIGNALS) {
      const handler = () => this.onSignal(signal, handler);
      addHiddenListener(signal, handler);
    }
  }

  /** Normal end: the loop drained. Flush what is new; a flush past the timeout ends the process with its exit code. */
  private onBeforeExit(): void {
    runEndingHooks();
    this.processSpan?.end({ exitCode: currentExitCode() });
    const signalsPending = this.signals.length > 0 && !this.signalsFlushed;
    if (this.endedSpans() === this.flushedAt && !signalsPending) {
      // A signal the program sent itself while its main script ran is caught by the agent's
      // listener but only dispatched when the loop next polls: give it that one poll, so the process
      // still dies by it (without the agent it would have died at once). Only when no other
      // beforeExit listener would see the extra round.
      if (!this.polledForSignals && process.listenerCount('beforeExit') === 1) {
        this.polledForSignals = true;
        setImmediate(() => {});
      }
      return;
    }
    this.signalsFlushed = true;
    this.startExitClock();
    void this.forceFlush({ final: true }).then((outcome) => {
      // Past the timeout the process ends with the exit code it was about to have; the exit
      // handler reports what could not be delivered.
      if (outcome === 'timeout') return process.exit();
      // Delivered. If a beforeExit listener of the program scheduled more work, the process goes on:
      // its later batches are sent (and retried) as usual, and a later exit gets its own flush time.
      this.exitDeadline = undefined;
      this.destinations.forEach((d) => d.exporter.finalFlushSurvived());
    });
  }

  /**
   * 'exit' listeners run synchronously: nothing asynchronous completes any more. Spans not yet
   * delivered (after process.exit(), a crash, or a flush cut short) go out synchronously: a file
   * write, or a short-lived sender process the exiting process waits for, within the flush timeout.
   */
  private onExit(code: number): void {
    runEndingHooks();
    this.processSpan?.end({ exitCode: code });
    this.startExitClock();
    for (const destination of this.destinations) {
      const remaining = (this.exitDeadline ?? 0) - Date.now();
      if (destination.tracker.undeliveredCount() === 0 || remaining <= 0) continue;
      try {
        if (deliverSync(destination, remaining)) destination.tracker.markAllDelivered();
      } catch (err) {
        destination.tracker.lastError = describeError(err);
      }
    }
    this.reportLosses();
  }

  /**
   * SIGTERM/SIGINT/SIGHUP. With a handler of the app's, the app decides what happens: the agent only
   * flushes. Without one, Node would die by the signal: flush, then die by the same signal. A library
   * that re-raises the signal once its listener is gone (signal-exit) thus gets the second branch.
   */
  private onSignal(signal: TerminatingSignal, handler: () => void): void {
    // The agent's own listener is hidden from this count.
    const appHandles = process.listenerCount(signal) > 0;
    if (appHandles) {
      void this.forceFlush();
      return;
    }
    const reraise = () => {
      removeHiddenListener(signal, handler);
      process.kill(process.pid, signal);
    };
    if (this.dyingBy) return reraise(); // a second signal while flushing: stop waiting
    this.dyingBy = signal;
    runEndingHooks();
    this.processSpan?.end({ signal });
    this.startExitClock();
    void this.forceFlush({ final: true }).then(() => {
      this.reportLosses();
      reraise();
    });
  }

  /** Records the crash on the active span; ends it when the process is going to die, so it is delivered at exit. */
  private onCrash(err: unknown, origin: string): void {
    this.processSpan?.recordCrash(err);
    try {
      const span = trace.getActiveSpan();
      if (!span || !span.isRecording()) return;
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err) });
      const handled = process.listenerCount('uncaughtException') > 0 || (origin === 'unhandledRejection' && process.listenerCount('unhandledRejection') > 0);
      if (!handled) span.end();
    } catch {
      // Never interfere with the crash itself.
    }
  }
}

function currentExitCode(): number {
  const code = Number(process.exitCode ?? 0);
  return Number.isInteger(code) ? code : 0;
}

function isMainThread(): boolean {
  return (require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
}
