// OTLP exporter that encodes in the main thread (the agent's protobuf encoder, upstream's JSON serializer) and sends HTTP batches from the main thread
// on unref'd connections; an unref'd worker thread with the upstream transport takes over what needs retrying, and gRPC.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { EXPORT_WORKER_FILE } from '../runtime/agent-files';
import { workingDirectory } from '../runtime/environment';
import type { Worker } from 'node:worker_threads';
import type { OtlpExporterConfig } from '../config';
import { describeError } from '../runtime/logging';
import type { KeepBody } from './delivery';
import { traceSerializerFor, type TraceSerializer } from './otlp-trace-encoder';
import { READY, type ExportReply } from './worker-messages';
import { cancelGrpcCalls, isConnectionRefused, isRetryable, keepAliveAgentFor, requestFor, sendOnce, type OneShotRequest } from './one-shot-send';
import { mayStartWorker, mayUseNetwork, NETWORK_DENIED } from './permissions';

/** How long after the first span the gRPC worker starts: longer than a short command lives. */
const WORKER_START_DELAY_MS = 50;

/**
 * The upstream OTLP exporters hold the event loop while a request or a retry is pending: with a slow
 * or unreachable collector a finished program would wait for them (seconds). Here nothing holds the
 * process open except a flush the lifecycle makes on purpose, bounded by the flush timeout.
 *
 * HTTP batches are posted from the main thread, one attempt each, on keep-alive connections that hold
 * the process open only while a flush waits for them. The worker (a second isolate: its own heap,
 * garbage collector and HTTP stack; measured: about 3 µs CPU per span at 20k spans/s, and over 30 MiB RSS)
 * starts only when a batch needs the transport's retries (429, 5xx, a network or TLS error); from
 * then on the worker sends every batch, as the upstream exporter would. gRPC keeps a channel per
 * client: its worker starts shortly after the first span, off an unref'd timer. The final flush of an
 * ending process sends its new batches from the main thread, one attempt each: a collector that
 * refuses connections fails at once instead of through the transport's retries. Where Node's
 * permission model allows no worker, every batch goes from the main thread.
 */
export class BackgroundOtlpExporter implements SpanExporter {
  private worker?: Worker;
  /** The worker has loaded its transport (until then, a busy program's batches would pile up in its port). */
  private workerReady = false;
  private stopped = false;
  /** False where the permission model denies the network: every export fails at once, counted. */
  private readonly network = mayUseNetwork();
  /** Cleared when the worker cannot start (e.g. no working directory): the main thread sends instead. */
  private useWorker = this.network && mayStartWorker();
  /** HTTP: set once a batch needed the transport's retries; the worker sends every batch from then on. */
  private workerNeeded = false;
  /** Exports handed to the worker and not answered yet. */
  private readonly inWorker = new Set<number>();
  private nextId = 1;
  private readonly pending = new Map<number, (result: ExportResult) => void>();
  private readonly serializer: TraceSerializer;
  /** Flushes waiting for answers: while above zero, pending exports keep the process alive. */
  private holds = 0;
  /** Set by the lifecycle for a flush that ends the process. */
  private ending = false;
  /** Connections of in-thread sends (ref'd only while a flush holds the process). */
  private readonly sockets = new Set<Socket>();
  private agent?: Agent;
  private readonly request: OneShotRequest;
  /** Bodies a batch holds for the exit path: the worker gets a copy of those (its own is moved to it). */
  private readonly kept = new WeakSet<Uint8Array>();

  constructor(private readonly config: OtlpExporterConfig) {
    this.serializer = traceSerializerFor(config.protocol);
    this.request = requestFor(config);
    if (!this.useWorker || config.protocol !== 'grpc') return;
    setTimeout(() => {
      if (!this.stopped && !this.ending) this.start();
    }, WORKER_START_DELAY_MS).unref();
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    if (!this.useWorker) return undefined;
    // A worker's bootstrap needs the working directory: a program that deleted its own cannot start one.
    if (workingDirectory() === undefined) {
      this.useWorker = false;
      return undefined;
    }
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    // No preloads in the worker: the agent must not trace its own exports.
    const worker = new Worker(EXPORT_WORKER_FILE, { workerData: this.config, execArgv: [], env: { ...process.env, OTEL_SDK_DISABLED: 'true' }, stdout: false, stderr: false });
    worker.on('message', (message: ExportReply | typeof READY) => {
      if (message === READY) {
        if (this.worker === worker) this.workerReady = true;
        return;
      }
      const { id, ok, error } = message;
      this.settle(id, ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(error ?? 'export failed') });
    });
    worker.on('error', (err) => {
      // A worker that never got ready failed to start: the main thread sends from now on.
      if (!this.workerReady) this.useWorker = false;
      this.failWorkerExports(err);
    });
    worker.on('exit', () => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.workerReady = false;
      }
      this.failWorkerExports(new Error('the export worker stopped'));
    });
    // After the listeners: attaching a 'message' listener refs the worker again.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(id: number, result: ExportResult): void {
    const done = this.pending.get(id);
    if (!done) return;
    this.pending.delete(id);
    this.inWorker.delete(id);
    if (this.pending.size === 0 && this.holds === 0) this.worker?.unref();
    done(result);
  }

  private failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { code: ExportResultCode.FAILED, error });
  }

  /** The worker's exports fail with it; those the main thread is sending go on. */
  private failWorkerExports(error: Error): void {
    for (const id of [...this.inWorker]) this.settle(id, { code: ExportResultCode.FAILED, error });
  }

  /**
   * `keep` (from the delivery guard) receives the protobuf body: the batch holds it, not its spans, until
   * the collector answers, and an exit resends it as is (protobuf requests concatenate into one). A
   * JSON body does not concatenate: the guard keeps those batches' spans.
   */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void, keep?: KeepBody): void {
    // Already said in the permission warning: counted, not warned about again.
    if (!this.network) return resultCallback({ code: ExportResultCode.FAILED, error: Object.assign(new Error(NETWORK_DENIED), { reported: true }) });
    const body = this.serializer.serializeRequest(spans);
    if (!body) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('nothing to send') });
    if (keep && this.config.protocol !== 'http/json') {
      keep(body);
      this.kept.add(body);
    }
    const id = this.nextId++;
    this.pending.set(id, resultCallback);
    // HTTP batches go from the main thread unless a batch needed retries (then from the worker once it
    // is ready), and always once the process is ending. gRPC keeps a channel per client: it waits for
    // the worker's, except in an ending process that has none.
    const http = this.config.protocol !== 'grpc';
    const inThread = !this.useWorker || (http && (this.ending || !this.workerNeeded || !this.workerReady)) || (this.ending && !this.worker);
    if (inThread) {
      if (this.useWorker && !this.ending && (!http || this.workerNeeded)) this.start();
      return this.sendInThread(id, body);
    }
    this.postToWorker(id, body);
  }

  private postToWorker(id: number, body: Uint8Array): void {
    const worker = this.start();
    if (!worker) return this.sendInThread(id, body);
    this.inWorker.add(id);
    if (this.holds > 0) worker.ref();
    // The upstream serializers write each request into a buffer of their own (the protobuf one sized by an
    // estimate, the body a view on its start): the whole buffer moves to the worker, the view with it. A
    // view posted without its buffer would be copied, and a structured clone copies the whole buffer
    // (measured: most of the main thread's cost per batch after serialization).
    // A body the batch holds for the exit path stays here: an exact copy moves.
    const sent = this.kept.has(body) ? body.slice() : body;
    const buffer = sent.buffer;
    try {
      worker.postMessage({ id, body: sent }, buffer instanceof ArrayBuffer ? [buffer] : []);
    } catch {
      // A buffer Node keeps for itself (its Buffer pool) cannot move: it is copied instead.
      worker.postMessage({ id, body: sent });
    }
  }

  private sendInThread(id: number, body: Uint8Array): void {
    const onSocket = (socket: Socket) => {
      if (this.holds === 0) socket.unref();
      if (this.sockets.has(socket)) return; // a kept-alive connection, reused
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    let sending: Promise<void>;
    try {
      if (this.config.protocol !== 'grpc') this.agent ??= keepAliveAgentFor(this.config.url, this.config.tls);
      sending = sendOnce(this.request, body, onSocket, this.agent);
    } catch (err) {
      sending = Promise.reject(err);
    }
    sending.then(
      () => this.settle(id, { code: ExportResultCode.SUCCESS }),
      (err: unknown) => {
        // What the transport would retry, it retries, in the worker; later batches go there too.
        if (!this.ending && this.useWorker && !this.stopped && isRetryable(err)) {
          this.workerNeeded = true;
          return this.postToWorker(id, body);
        }
        const error = err instanceof Error ? err : new Error(describeError(err));
        this.settle(id, { code: ExportResultCode.FAILED, error });
        // Nothing listens: the batches still in the worker's retries would only delay the exit.
        if (this.ending && isConnectionRefused(err)) this.failAll(error);
      },
    );
  }

  /** The coming flush ends the process (the lifecycle bounds it by the flush timeout). */
  /** The process went on after the final flush: retries and the worker are allowed again. */
  finalFlushSurvived(): void {
    this.ending = false;
  }

  prepareFinalFlush(): void {
    this.ending = true;
    if (this.worker && this.pending.size > 0) this.probeCollector();
  }

  /**
   * Batches in the worker may be in the transport's retries (seconds apart). One connection attempt
   * tells whether anything listens: if the collector refuses, they fail now instead of at the flush timeout.
   */
  private probeCollector(): void {
    try {
      const url = new URL(this.config.url);
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      const net = require('node:net') as typeof import('node:net');
      const { context } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
      const { suppressTracing } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
      // The agent's own connection: no span for it (the net instrumentation would record one).
      const socket = context.with(suppressTracing(context.active()), () => net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port }));
      socket.unref();
      socket.once('connect', () => socket.destroy());
      socket.once('error', (err) => {
        if (isConnectionRefused(err)) this.failAll(err);
      });
    } catch {
      // No probe: the flush timeout still bounds the wait.
    }
  }

  private hold(): void {
    this.holds++;
    this.worker?.ref();
    for (const socket of this.sockets) socket.ref();
  }

  private unhold(): void {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return;
    if (this.pending.size === 0) this.worker?.unref();
    for (const socket of this.sockets) socket.unref();
  }

  /** Resolves when every pending export has an answer; holds the process open meanwhile. */
  forceFlush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    this.hold();
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
    return Promise.all(waits).then(() => this.unhold());
  }

  /** Stops waiting: pending exports no longer hold the process (the flush timed out). */
  release(): void {
    this.holds = 0;
    this.worker?.unref();
    for (const socket of this.sockets) socket.unref();
    // A gRPC call cannot be unref'd: the main thread's unanswered ones are cancelled (and counted).
    if (this.config.protocol === 'grpc') cancelGrpcCalls();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
    await this.worker?.terminate();
    this.worker = undefined;
    this.agent?.destroy();
  }
}
