// Sends OTLP request bodies that are already encoded, with the upstream transport (retries, TLS, compression).
import type { OtlpExporterConfig } from '../config';
import { sslCredentials } from './one-shot-send';
import { tlsOptions } from './tls-files';

/** The request is already encoded (by the upstream serializer): pass it through. */
const passThrough = {
  serializeRequest: (body: Uint8Array) => body,
  deserializeResponse: () => ({}),
};
/** Self-observability is off; nothing to count. */
const noItemCount = { countItems: () => 0 };

/** Requests the transport accepts at once; the span processor keeps fewer batches in flight (16). */
export const OTLP_CONCURRENCY_LIMIT = 32;

export interface OtlpSender {
  export(body: Uint8Array, done: (result: { code: number; error?: Error }) => void): void;
  /** Closes connections (a gRPC channel would otherwise hold the event loop). */
  shutdown(): Promise<void>;
}

/** The upstream export delegate for the configured protocol, fed with encoded bodies. */
export function createOtlpSender(config: OtlpExporterConfig): OtlpSender {
  const tls = tlsOptions(config.tls);
  const options = {
    url: config.url,
    headers: config.headers,
    timeoutMillis: config.timeoutMillis,
    compression: config.compression as never,
    concurrencyLimit: OTLP_CONCURRENCY_LIMIT,
    ...(Object.keys(tls).length > 0 ? { httpAgentOptions: { keepAlive: true, ...tls } } : {}),
  };
  if (config.protocol === 'grpc') {
    const grpcBase = require('@opentelemetry/otlp-grpc-exporter-base') as typeof import('@opentelemetry/otlp-grpc-exporter-base');
    const { Metadata } = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(config.headers)) metadata.set(k, v);
    const grpcOptions = grpcBase.convertLegacyOtlpGrpcOptions(
      {
        url: config.url,
        metadata,
        timeoutMillis: config.timeoutMillis,
        compression: config.compression as never,
        concurrencyLimit: OTLP_CONCURRENCY_LIMIT,
        ...(config.tls && config.url.startsWith('https:') ? { credentials: sslCredentials(config.tls) } : {}),
      },
      'TRACES',
    );
    return grpcBase.createOtlpGrpcExportDelegate(
      grpcOptions,
      passThrough as never,
      'otlp_grpc_span_exporter',
      noItemCount as never,
      undefined,
      'TraceExportService',
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    ) as unknown as OtlpSender;
  }
  const http = require('@opentelemetry/otlp-exporter-base/node-http') as typeof import('@opentelemetry/otlp-exporter-base/node-http');
  const contentType = config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  const httpOptions = http.convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', { 'Content-Type': contentType });
  return http.createOtlpHttpExportDelegate(httpOptions, passThrough as never, 'otlp_http_span_exporter', noItemCount as never, undefined) as unknown as OtlpSender;
}
