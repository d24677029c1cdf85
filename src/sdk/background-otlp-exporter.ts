// OTLP exporter that encodes in the main thread (upstream serializers) and sends from an unref'd worker thread,
// or, while the process is ending and no worker runs yet, from the main thread itself.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Worker } from 'node:worker_threads';
import type { OtlpExporterConfig } from '../config';
import type { ExportReply } from '../export-worker';
import { EXPORT_WORKER_FILE } from '../agent-files';
import type { OtlpSender } from './otlp-send';

const WORKER = EXPORT_WORKER_FILE;
/** How long after the first span the worker starts: longer than a short command lives. */
const WORKER_START_DELAY_MS = 50;

/**
 * The upstream OTLP exporters hold the event loop while a request or a retry is pending: with a slow
 * or unreachable collector a finished program would wait for them (seconds). Here the network part
 * runs in a worker that does not keep the process alive; the lifecycle holds it only while it
 * deliberately flushes, bounded by the flush timeout.
 *
 * The worker starts shortly after the exporter is built (the first span), off an unref'd timer, so it
 * is ready before a busy program's first batches pile up. A process that ends before that, or before
 * the worker is up (a short command with a few spans), sends its final flush from the main thread: the
 * lifecycle ends the process within the flush timeout anyway, and a worker (a second isolate loading
 * the transport) would cost that process more than the send itself.
 */
export class BackgroundOtlpExporter implements SpanExporter {
  private worker?: Worker;
  /** The worker has started running (until then, posted requests wait in its port). */
  private workerOnline = false;
  private stopped = false;
  private inThread?: OtlpSender;
  private nextId = 1;
  private readonly pending = new Map<number, (result: ExportResult) => void>();
  private readonly serializer: { serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined };
  /** While true, pending exports keep the process alive (a flush the lifecycle is waiting for). */
  private holding = false;
  /** Set by the lifecycle for a flush that ends the process: exports may then be sent in-thread. */
  private ending = false;

  constructor(private readonly config: OtlpExporterConfig) {
    const { JsonTraceSerializer, ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
    this.serializer = config.protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer;
    setTimeout(() => {
      if (!this.stopped && !this.ending) this.start();
    }, WORKER_START_DELAY_MS).unref();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    // No preloads in the worker: the agent must not trace its own exports.
    const worker = new Worker(WORKER, { workerData: this.config, execArgv: [], env: { ...process.env, OTEL_SDK_DISABLED: 'true' }, stdout: false, stderr: false });
    worker.on('message', ({ id, ok, error }: ExportReply) => {
      this.settle(id, ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(error ?? 'export failed') });
      if (this.pending.size === 0 && !this.holding) worker.unref();
    });
    worker.once('online', () => {
      if (this.worker === worker) this.workerOnline = true;
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.workerOnline = false;
      }
      this.failAll(new Error('the export worker stopped'));
    });
    // After the listeners: attaching a 'message' listener refs the worker again.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(id: number, result: ExportResult): void {
    const done = this.pending.get(id);
    this.pending.delete(id);
    done?.(result);
  }

  private failAll(error: Error): void {
    const callbacks = [...this.pending.values()];
    this.pending.clear();
    for (const done of callbacks) done({ code: ExportResultCode.FAILED, error });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const body = this.serializer.serializeRequest(spans);
    if (!body) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('nothing to send') });
    const id = this.nextId++;
    this.pending.set(id, resultCallback);
    // gRPC keeps a channel (timers, sockets) after the send: it always goes through the worker.
    if (this.ending && !this.workerOnline && this.config.protocol !== 'grpc') {
      try {
        this.inThread ??= (require('./otlp-send') as typeof import('./otlp-send')).createOtlpSender(this.config);
        this.inThread.export(body, (result) => this.settle(id, result));
      } catch (err) {
        // As the worker answers a throw: a failed export, not a pending one the flush would wait for.
        this.settle(id, { code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
      return;
    }
    const worker = this.start();
    if (this.holding) worker.ref();
    // Copied, not transferred: a serializer may return a view on a buffer it reuses.
    worker.postMessage({ id, body });
  }

  /** The coming flush ends the process (the lifecycle bounds it by the flush timeout). */
  prepareFinalFlush(): void {
    this.ending = true;
  }

  /** Resolves when every pending export has an answer; holds the process open meanwhile. */
  forceFlush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    const worker = this.worker;
    this.holding = true;
    worker?.ref();
    const waits = [...this.pending.keys()].map(
      (id) =>
        new Promise<void>((resolve) => {
          const original = this.pending.get(id);
          this.pending.set(id, (result) => {
            original?.(result);
            resolve();
          });
        }),
    );
    return Promise.all(waits).then(() => {
      this.holding = false;
      this.worker?.unref();
    });
  }

  /** Stops waiting: pending exports no longer hold the process (the flush timed out). */
  release(): void {
    this.holding = false;
    this.worker?.unref();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
