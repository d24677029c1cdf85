// Builds the configured trace exporters, loading only the exporter packages in use, each behind a guard.
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { BatchConfig, TraceExporterConfig } from '../config';
import { describeError, warn } from '../runtime/logging';
import { redactUrlCredentials } from '../redaction/index';
import { DeliveryTracker, GuardedExporter } from './delivery';
import { warnAboutPermissions } from './permissions';
import { QueueingSpanProcessor } from './queueing-span-processor';

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

function create(config: TraceExporterConfig): SpanExporter {
  switch (config.kind) {
    case 'otlp': {
      const { BackgroundOtlpExporter } = require('./background-otlp-exporter') as typeof import('./background-otlp-exporter');
      return new BackgroundOtlpExporter(config);
    }
    case 'console': {
      const { ConsoleSpanExporter } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
      return new ConsoleSpanExporter();
    }
    case 'zipkin': {
      const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin');
      return new ZipkinExporter({ url: config.url });
    }
    case 'file': {
      const { FileSpanExporter } = require('../trace-file/writer') as typeof import('../trace-file/writer');
      return new FileSpanExporter({ target: config.target, format: config.format, sourceVariable: config.sourceVariable });
    }
  }
}

/**
 * Builds the exporter on its first use. A program that never ends a span never loads an exporter
 * package (the OTLP ones pull in the protobuf serializers and more: most of the agent's start-up).
 */
export class LazyExporter implements SpanExporter {
  private exporter?: SpanExporter;
  constructor(
    private readonly config: TraceExporterConfig,
    private readonly factory: (config: TraceExporterConfig) => SpanExporter = create,
  ) {}
  /** The real exporter, created now if it was not yet. Throws what its constructor throws. */
  get instance(): SpanExporter {
    this.exporter ??= this.factory(this.config);
    return this.exporter;
  }
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.instance.export(spans, resultCallback);
  }
  async forceFlush(): Promise<void> {
    await this.exporter?.forceFlush?.();
  }
  async shutdown(): Promise<void> {
    await this.exporter?.shutdown();
  }
  release(): void {
    (this.exporter as { release?(): void } | undefined)?.release?.();
  }
}

/** Where spans go: the exporter's settings, the guarded exporter and its delivery accounting. */
export interface Destination {
  config: TraceExporterConfig;
  exporter: GuardedExporter;
  tracker: DeliveryTracker;
  /** Its span processor: the queue, and the batches handed to the exporter. */
  processor: QueueingSpanProcessor;
}

/** How many batches may await an answer at once, per kind of exporter. */
function concurrentExportsFor(config: TraceExporterConfig): number {
  switch (config.kind) {
    case 'otlp':
      // Enough that a collector's round trip, or the start of the export worker in a loaded
      // process, does not stall a busy program (16 x 512 spans); below the worker transport's
      // concurrency limit (OTLP_CONCURRENCY_LIMIT).
      return 16;
    case 'zipkin':
      return 2;
    default:
      // A file or the console is written synchronously: the answer comes inside export().
      return 1;
  }
}

/**
 * The queue of one destination. The console is for people reading along: each span is printed as it
 * ends. A configuration file may choose each exporter's processor: `simple` exports every span as it
 * ends, `batch` brings its own settings over the OTEL_BSP_* defaults.
 */
function queueSettings(config: TraceExporterConfig, batch: BatchConfig): BatchConfig {
  const processor = config.processor ?? (config.kind === 'console' ? { kind: 'simple' as const } : undefined);
  if (processor?.kind === 'simple') return { ...batch, maxExportBatchSize: 1 };
  if (processor?.kind === 'batch') {
    const { kind: _kind, ...own } = processor;
    return { ...batch, ...own };
  }
  return batch;
}

/** One destination per configured exporter; one whose exporter cannot be built is skipped with a warning. */
export function createDestinations(configs: readonly TraceExporterConfig[], batch: BatchConfig): Destination[] {
  const out: Destination[] = [];
  for (const config of configs) {
    const destination = describeExporter(config);
    try {
      const tracker = new DeliveryTracker(destination, queueSettings(config, batch).maxQueueSize);
      // The pipeline itself is built at the first span, so OTLP's export worker starts now, ready
      // for the first batch (a worker still starting would make the first burst wait). Zipkin's
      // package is loaded at its first export.
      const inner = config.kind === 'zipkin' ? new LazyExporter(config) : create(config);
      if (config.kind === 'otlp') warnAboutPermissions(destination);
      const queue = queueSettings(config, batch);
      const exporter = new GuardedExporter(inner, tracker, { exportTimeoutMillis: queue.exportTimeoutMillis });
      // OTLP protobuf (HTTP and gRPC): spans are encoded as they end (the same bytes), so they do not outlive their end.
      const encodeAtEnd = config.kind === 'otlp' && config.protocol !== 'http/json' ? (require('./otlp-trace-encoder') as typeof import('./otlp-trace-encoder')).encodeSpanAtEnd : undefined;
      const processor = new QueueingSpanProcessor(exporter, tracker, { ...queue, maxConcurrentExports: concurrentExportsFor(config), encodeAtEnd });
      out.push({ config, tracker, exporter, processor });
    } catch (err) {
      warn(`the exporter for ${destination} could not be created and is skipped: ${describeError(err)}`);
    }
  }
  return out;
}
