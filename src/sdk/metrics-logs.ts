// Metrics and logs pipelines, built only when OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER ask for them.
import { logs, metrics } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { AgentConfig, OtlpProtocol, SignalOtlpConfig } from '../config';
import { describeError, warn } from '../runtime/logging';

/** Something the lifecycle flushes and shuts down with the traces. */
export interface SignalPipeline {
  name: string;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A configuration file's OTLP settings as the upstream exporters' constructor options; none without a file. */
function exporterOptions(otlp: SignalOtlpConfig | undefined): object | undefined {
  if (!otlp) return undefined;
  return { url: otlp.url, headers: otlp.headers, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression };
}

const PACKAGE_SUFFIX: Record<OtlpProtocol, string> = { 'http/protobuf': 'proto', 'http/json': 'http', grpc: 'grpc' };

function startMetrics(config: AgentConfig, resource: Resource): SignalPipeline {
  const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const readers = config.metricsExporters.map((name) => {
    const exporter =
      name === 'console'
        ? new sdk.ConsoleMetricExporter()
        : new (require(`@opentelemetry/exporter-metrics-otlp-${PACKAGE_SUFFIX[config.metricsOtlp?.protocol ?? config.metricsProtocol]}`).OTLPMetricExporter)(exporterOptions(config.metricsOtlp));
    return new sdk.PeriodicExportingMetricReader({
      exporter,
      ...(config.metricsExportIntervalMillis !== undefined ? { exportIntervalMillis: config.metricsExportIntervalMillis } : {}),
    });
  });
  const provider = new sdk.MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(provider);
  return { name: 'metrics', forceFlush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

function startLogs(config: AgentConfig, resource: Resource): SignalPipeline {
  const sdk = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
  const processors = config.logsExporters.map((name) =>
    name === 'console'
      ? new sdk.SimpleLogRecordProcessor({ exporter: new sdk.ConsoleLogRecordExporter() })
      : new sdk.BatchLogRecordProcessor({ exporter: new (require(`@opentelemetry/exporter-logs-otlp-${PACKAGE_SUFFIX[config.logsOtlp?.protocol ?? config.logsProtocol]}`).OTLPLogExporter)(exporterOptions(config.logsOtlp)) }),
  );
  const provider = new sdk.LoggerProvider({ resource, processors });
  logs.setGlobalLoggerProvider(provider);
  return { name: 'logs', forceFlush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}

export function startSignalPipelines(config: AgentConfig, resource: Resource): SignalPipeline[] {
  const out: SignalPipeline[] = [];
  const attempt = (name: string, start: () => SignalPipeline) => {
    try {
      out.push(start());
    } catch (err) {
      warn(`the ${name} pipeline could not be started and is skipped: ${describeError(err)}`);
    }
  };
  if (config.metricsExporters.length > 0) attempt('metrics', () => startMetrics(config, resource));
  if (config.logsExporters.length > 0) attempt('logs', () => startLogs(config, resource));
  return out;
}
