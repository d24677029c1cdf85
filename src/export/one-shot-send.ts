// One OTLP request, one attempt, no retries: for a process that is ending, and where no worker may run.
import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { OtlpExporterConfig } from '../config';
import { tlsOptions } from './tls-files';

/** What a single send needs; the exit sender receives it on stdin, never on its command line. */
export interface OneShotRequest {
  protocol: OtlpExporterConfig['protocol'];
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression?: OtlpExporterConfig['compression'];
  /** TLS file paths (the exit sender reads them itself). */
  tls?: OtlpExporterConfig['tls'];
}

export const requestFor = (config: OtlpExporterConfig, timeoutMillis = config.timeoutMillis): OneShotRequest => ({
  protocol: config.protocol,
  url: config.url,
  headers: config.headers,
  timeoutMillis,
  compression: config.compression,
  ...(config.tls ? { tls: config.tls } : {}),
});

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** What the upstream transport retries: HTTP 429, 502, 503, 504, and network errors (no answer at all). */
export function isRetryable(err: unknown): boolean {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number') return status === 429 || status === 502 || status === 503 || status === 504;
  return typeof (err as { code?: unknown } | undefined)?.code === 'string';
}

/** A refusal is final for an ending process: nothing listens, and retrying only delays the exit. */
export function isConnectionRefused(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ECONNREFUSED';
}

/**
 * Posts `body` once. `onSocket` sees the connection (so the caller can ref/unref it). Without `agent`, the
 * connection is closed after the answer; a keep-alive agent's idle sockets are unref'd by Node, so they
 * never hold a process open either.
 */
export function sendHttpOnce(req: OneShotRequest, body: Uint8Array, onSocket?: (socket: Socket) => void, agent?: Agent): Promise<void> {
  const http = require('node:http') as typeof import('node:http');
  const https = require('node:https') as typeof import('node:https');
  const url = new URL(req.url);
  const transport = url.protocol === 'https:' ? https : http;
  const contentType = req.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  let payload: Uint8Array = body;
  const headers: Record<string, string | number> = { ...req.headers, 'Content-Type': contentType };
  if (req.compression === 'gzip') {
    payload = (require('node:zlib') as typeof import('node:zlib')).gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = payload.length;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: 'POST', headers, agent: agent ?? false, timeout: req.timeoutMillis, ...tlsOptions(req.tls) }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 500;
        // The message the upstream transport gives (the status text), and the status for retry decisions.
        if (status < 300) resolve();
        else reject(Object.assign(new Error(res.statusMessage || `HTTP ${status}`), { statusCode: status }));
      });
      res.on('error', reject);
    });
    if (onSocket) request.on('socket', onSocket);
    request.on('timeout', () => request.destroy(new Error(`no answer within ${req.timeoutMillis} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** gRPC calls sent from the main thread and not answered yet: a released flush cancels them. */
const openGrpcCalls = new Set<{ cancel(): void }>();

/**
 * Cancels the main thread's unanswered gRPC calls (they fail, and are counted): a grpc-js call holds the
 * event loop until its deadline, which must not keep an ending process alive past the flush timeout.
 */
export function cancelGrpcCalls(): void {
  for (const call of [...openGrpcCalls]) call.cancel();
}

/** One unary gRPC call on a channel closed right after. */
export function sendGrpcOnce(req: OneShotRequest, body: Uint8Array): Promise<void> {
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const url = new URL(req.url);
  const credentials = url.protocol === 'https:' ? sslCredentials(req.tls) : grpc.credentials.createInsecure();
  const client = new grpc.Client(url.host, credentials);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(req.headers)) metadata.set(k, v);
  const identity = (b: Buffer) => b;
  return new Promise((resolve, reject) => {
    const call = client.makeUnaryRequest(GRPC_EXPORT_PATH, identity, identity, Buffer.from(body), metadata, { deadline: Date.now() + req.timeoutMillis }, (err) => {
      openGrpcCalls.delete(call);
      client.close();
      if (err) reject(err);
      else resolve();
    });
    openGrpcCalls.add(call);
  });
}

export function sendOnce(req: OneShotRequest, body: Uint8Array, onSocket?: (socket: Socket) => void, agent?: Agent): Promise<void> {
  return req.protocol === 'grpc' ? sendGrpcOnce(req, body) : sendHttpOnce(req, body, onSocket, agent);
}

/** A keep-alive agent for the URL's scheme: the main thread's batches reuse their connections. */
export function keepAliveAgentFor(url: string, tls?: OtlpExporterConfig['tls']): Agent {
  const mod = (new URL(url).protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
  return new mod.Agent({ keepAlive: true, ...tlsOptions(tls) });
}

/** gRPC over TLS with the configured CA and client certificate, else the system's roots. */
export function sslCredentials(tls: OtlpExporterConfig['tls']): import('@grpc/grpc-js').ChannelCredentials {
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const o = tlsOptions(tls);
  const buf = (pem: string | undefined) => (pem === undefined ? null : Buffer.from(pem));
  return grpc.credentials.createSsl(buf(o.ca), buf(o.key), buf(o.cert));
}
