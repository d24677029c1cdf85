// Where replay sends spans: batches of OTLP/JSON documents as read (http/json), or rebuilt ReadableSpans encoded by upstream (http/protobuf, grpc).
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { OtlpExporterConfig } from '../../config';
import type { ExportReply } from '../../export-worker';
import { ReadableSpanConverter, spansOf, type OtlpResourceSpans, type OtlpTracesData } from '../../trace-file';

export interface ReplayTarget {
  /** Takes the good spans of one document; calls `onBadSpan` for each span it cannot take. Returns how many it took. */
  add(doc: OtlpTracesData, onBadSpan: (index: number, message: string) => void): number;
  /** Spans added and not yet sent. */
  pending(): number;
  /** Sends the pending spans; resolves with the error, or undefined when the endpoint took them. */
  flush(): Promise<string | undefined>;
  close(): Promise<void>;
}

export function createTarget(config: OtlpExporterConfig): ReplayTarget {
  return config.protocol === 'http/json' ? new JsonDocumentTarget(config) : new ReadableSpanTarget(config);
}

/**
 * http/protobuf and gRPC: spans rebuilt as SDK ReadableSpans and handed to the agent's own OTLP
 * exporter, which encodes them with the upstream serializer and sends them with the upstream
 * transport from its worker. No OTLP encoding of our own.
 */
class ReadableSpanTarget implements ReplayTarget {
  private readonly converter = new ReadableSpanConverter();
  private spans: ReadableSpan[] = [];
  private readonly exporter: import('../../sdk/background-otlp-exporter').BackgroundOtlpExporter;

  constructor(config: OtlpExporterConfig) {
    const { BackgroundOtlpExporter } = require('../../sdk/background-otlp-exporter') as typeof import('../../sdk/background-otlp-exporter');
    this.exporter = new BackgroundOtlpExporter(config);
  }

  add(doc: OtlpTracesData, onBadSpan: (index: number, message: string) => void): number {
    let index = 0;
    let taken = 0;
    for (const record of spansOf(doc)) {
      try {
        this.spans.push(this.converter.convert(record));
        taken++;
      } catch (err) {
        onBadSpan(index, (err as Error).message);
      }
      index++;
    }
    return taken;
  }

  pending(): number {
    return this.spans.length;
  }

  async flush(): Promise<string | undefined> {
    const spans = this.spans;
    this.spans = [];
    if (spans.length === 0) return undefined;
    const result = new Promise<ExportResult>((resolve) => this.exporter.export(spans, resolve));
    // The exporter's worker does not hold the process open by itself (it is built for agents); a
    // flush does, until the answer is in.
    await this.exporter.forceFlush();
    const { code, error } = await result;
    return code === 0 ? undefined : (error?.message ?? 'export failed');
  }

  close(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/**
 * http/json: the documents are already OTLP/JSON, so they are posted as read (several merged into
 * one request), with bad spans taken out. They go through the agent's export worker, so the
 * transport (retries, headers, gzip, TLS) is upstream's as for the other protocols.
 */
class JsonDocumentTarget implements ReplayTarget {
  // Used only to check that each span is well-formed (ids, timestamps) before it is sent.
  private readonly validator = new ReadableSpanConverter();
  private resourceSpans: OtlpResourceSpans[] = [];
  private count = 0;
  private readonly sender: RawSender;

  constructor(config: OtlpExporterConfig) {
    this.sender = new RawSender(config);
  }

  add(doc: OtlpTracesData, onBadSpan: (index: number, message: string) => void): number {
    const bad = new Set<object>();
    let index = 0;
    for (const record of spansOf(doc)) {
      try {
        this.validator.convert(record);
      } catch (err) {
        bad.add(record.span);
        onBadSpan(index, (err as Error).message);
      }
      index++;
    }
    let taken = 0;
    for (const rs of doc.resourceSpans) {
      if (typeof rs !== 'object' || rs === null) continue;
      const scopeSpans = (Array.isArray(rs.scopeSpans) ? rs.scopeSpans : [])
        .filter((ss) => typeof ss === 'object' && ss !== null)
        .map((ss) => ({ ...ss, spans: (Array.isArray(ss.spans) ? ss.spans : []).filter((s) => typeof s === 'object' && s !== null && !bad.has(s)) }))
        .filter((ss) => ss.spans.length > 0);
      if (scopeSpans.length === 0) continue;
      this.resourceSpans.push({ ...rs, scopeSpans });
      taken += scopeSpans.reduce((n, ss) => n + ss.spans.length, 0);
    }
    this.count += taken;
    return taken;
  }

  pending(): number {
    return this.count;
  }

  async flush(): Promise<string | undefined> {
    const resourceSpans = this.resourceSpans;
    this.resourceSpans = [];
    this.count = 0;
    if (resourceSpans.length === 0) return undefined;
    return this.sender.send(Buffer.from(JSON.stringify({ resourceSpans })));
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}

/** Posts ready-made request bodies through the agent's export worker (dist/export-worker.js). */
class RawSender {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, (error: string | undefined) => void>();

  constructor(private readonly config: OtlpExporterConfig) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    const worker = new Worker(path.join(__dirname, '..', '..', 'export-worker.js'), {
      workerData: this.config,
      execArgv: [],
      env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
    });
    worker.on('message', ({ id, ok, error }: ExportReply) => {
      const done = this.pending.get(id);
      this.pending.delete(id);
      done?.(ok ? undefined : (error ?? 'export failed'));
    });
    const failAll = (message: string) => {
      for (const done of this.pending.values()) done(message);
      this.pending.clear();
    };
    worker.on('error', (err) => failAll(err.message));
    worker.on('exit', () => {
      this.worker = undefined;
      failAll('the export worker stopped');
    });
    this.worker = worker;
    return worker;
  }

  send(body: Uint8Array): Promise<string | undefined> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, body });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
