// Worker thread that sends serialized OTLP requests with the upstream transport (retries, TLS, compression).
// It runs off the main thread and is unref'd there, so a slow or absent collector never holds the program open.
import { parentPort, workerData } from 'node:worker_threads';
import type { OtlpExporterConfig } from './config';

export interface ExportRequest {
  id: number;
  body: Uint8Array;
}
export interface ExportReply {
  id: number;
  ok: boolean;
  error?: string;
}

/** The request is already encoded (by the upstream serializer, in the main thread): pass it through. */
const passThrough = {
  serializeRequest: (body: Uint8Array) => body,
  deserializeResponse: () => ({}),
};
/** Self-observability is off; nothing to count. */
const noItemCount = { countItems: () => 0 };

interface Delegate {
  export(body: Uint8Array, done: (result: { code: number; error?: Error }) => void): void;
}

function createDelegate(config: OtlpExporterConfig): Delegate {
  const options = { url: config.url, headers: config.headers, timeoutMillis: config.timeoutMillis, compression: config.compression as never };
  if (config.protocol === 'grpc') {
    const grpcBase = require('@opentelemetry/otlp-grpc-exporter-base') as typeof import('@opentelemetry/otlp-grpc-exporter-base');
    const { Metadata } = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(config.headers)) metadata.set(k, v);
    const grpcOptions = grpcBase.convertLegacyOtlpGrpcOptions({ url: config.url, metadata, timeoutMillis: config.timeoutMillis, compression: config.compression as never }, 'TRACES');
    return grpcBase.createOtlpGrpcExportDelegate(
      grpcOptions,
      passThrough as never,
      'otlp_grpc_span_exporter',
      noItemCount as never,
      undefined,
      'TraceExportService',
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    ) as unknown as Delegate;
  }
  const http = require('@opentelemetry/otlp-exporter-base/node-http') as typeof import('@opentelemetry/otlp-exporter-base/node-http');
  const contentType = config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  const httpOptions = http.convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', { 'Content-Type': contentType });
  return http.createOtlpHttpExportDelegate(httpOptions, passThrough as never, 'otlp_http_span_exporter', noItemCount as never, undefined) as unknown as Delegate;
}

if (parentPort) {
  const port = parentPort;
  const delegate = createDelegate(workerData as OtlpExporterConfig);
  port.on('message', ({ id, body }: ExportRequest) => {
    try {
      delegate.export(body, (result) => {
        const reply: ExportReply = { id, ok: result.code === 0, error: result.error?.message };
        port.postMessage(reply);
      });
    } catch (err) {
      port.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ExportReply);
    }
  });
}
