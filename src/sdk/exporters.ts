// Builds the configured trace exporters, loading only the exporter packages in use, each behind a guard.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpExporterConfig, TraceExporterConfig } from '../config';
import { describeError, warn } from '../logging';
import { redactUrlCredentials } from '../redaction';

/** A name for messages: where spans go. */
export function describeExporter(config: TraceExporterConfig): string {
  switch (config.kind) {
    case 'otlp':
      return `OTLP ${config.protocol} ${redactUrlCredentials(config.url)}`;
    case 'zipkin':
      return `Zipkin ${redactUrlCredentials(config.url)}`;
    case 'console':
      return 'the console';
    case 'file':
      return config.target.kind === 'stdout' ? 'stdout (JSON Lines)' : `file ${config.target.kind === 'file' ? config.target.path : config.target.dir}`;
  }
}

function createOtlp(config: OtlpExporterConfig): SpanExporter {
  const common = { url: config.url, timeoutMillis: config.timeoutMillis, compression: config.compression as never };
  switch (config.protocol) {
    case 'http/protobuf': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ ...common, headers: config.headers });
    }
    case 'http/json': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ ...common, headers: config.headers });
    }
    case 'grpc': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
      const { Metadata } = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
      const metadata = new Metadata();
      for (const [k, v] of Object.entries(config.headers)) metadata.set(k, v);
      return new OTLPTraceExporter({ ...common, metadata });
    }
  }
}

function create(config: TraceExporterConfig): SpanExporter {
  switch (config.kind) {
    case 'otlp':
      return createOtlp(config);
    case 'console': {
      const { ConsoleSpanExporter } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
      return new ConsoleSpanExporter();
    }
    case 'zipkin': {
      const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin');
      return new ZipkinExporter({ url: config.url });
    }
    case 'file': {
      const { FileSpanExporter } = require('../exporters/file') as typeof import('../exporters/file');
      return new FileSpanExporter({ target: config.target, format: config.format, sourceVariable: config.sourceVariable });
    }
  }
}

/** Export outcome counters, reported at shutdown so no loss is silent. */
export interface ExportStats {
  exportedSpans: number;
  failedSpans: number;
  lastError?: string;
}

/**
 * Wraps an exporter so that a throw becomes a failed result, and the first failure prints one
 * warning naming the destination and the cause (later ones are counted, not printed).
 */
export class GuardedExporter implements SpanExporter {
  readonly stats: ExportStats = { exportedSpans: 0, failedSpans: 0 };
  private warned = false;

  constructor(
    readonly inner: SpanExporter,
    readonly destination: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const done = (result: ExportResult) => {
      if (result.code === ExportResultCode.SUCCESS) this.stats.exportedSpans += spans.length;
      else this.fail(spans.length, result.error);
      resultCallback(result);
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  private fail(count: number, error: unknown): void {
    this.stats.failedSpans += count;
    this.stats.lastError = error === undefined ? 'export failed' : describeError(error);
    if (!this.warned) {
      this.warned = true;
      warn(`cannot export spans to ${this.destination}: ${this.stats.lastError} (the program is not affected; later failures are counted and reported at exit)`);
    }
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.inner.shutdown();
  }
}

/** One guarded exporter per configured destination; a destination whose exporter cannot be built is skipped with a warning. */
export function createExporters(configs: readonly TraceExporterConfig[]): { config: TraceExporterConfig; exporter: GuardedExporter }[] {
  const out: { config: TraceExporterConfig; exporter: GuardedExporter }[] = [];
  for (const config of configs) {
    const destination = describeExporter(config);
    try {
      out.push({ config, exporter: new GuardedExporter(create(config), destination) });
    } catch (err) {
      warn(`the exporter for ${destination} could not be created and is skipped: ${describeError(err)}`);
    }
  }
  return out;
}
