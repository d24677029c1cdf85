// Every default value of the configuration, written once: the environment reader, the configuration-file mapping, the doctor and the settings table use these.
import type { DiagLogLevel } from '@opentelemetry/api';

export const DEFAULT_FLUSH_TIMEOUT_MILLIS = 2000;

/** The batch span processor's defaults (OTEL_BSP_*), as in the SDK. */
export const DEFAULT_BATCH = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: 30000 } as const;

/** Span limits' defaults (OTEL_*_COUNT_LIMIT), as in the SDK; value lengths are unlimited. */
export const DEFAULT_COUNT_LIMIT = 128;

/** An OTLP export request's timeout (OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT), as in the SDK. */
export const DEFAULT_OTLP_TIMEOUT_MILLIS = 10_000;

export const OTLP_HTTP_PORT = '4318';
export const DEFAULT_OTLP_HTTP_ENDPOINT = `http://localhost:${OTLP_HTTP_PORT}`;
export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317';

/** OTEL_LOG_LEVEL's names and DiagLogLevel's numbers, spelled out so that reading the configuration loads no OpenTelemetry code. */
export const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  none: 0 as DiagLogLevel.NONE,
  error: 30 as DiagLogLevel.ERROR,
  warn: 50 as DiagLogLevel.WARN,
  info: 60 as DiagLogLevel.INFO,
  debug: 70 as DiagLogLevel.DEBUG,
  verbose: 80 as DiagLogLevel.VERBOSE,
  all: 9999 as DiagLogLevel.ALL,
};

/** The name of a DiagLogLevel number, for display. */
export function logLevelName(level: number): string {
  return Object.entries(LOG_LEVELS).find(([, n]) => n === level)?.[0] ?? String(level);
}
