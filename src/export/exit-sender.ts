// Run by the agent at process exit with spawnSync: posts one serialized OTLP request (stdin) and exits.
// Its own process has an event loop, which the exiting process no longer has; the agent waits for it.
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';

export interface ExitSendRequest {
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
}

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

function sendHttp(req: ExitSendRequest, body: Buffer): Promise<void> {
  const url = new URL(req.url);
  const transport = url.protocol === 'https:' ? https : http;
  const contentType = req.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      { method: 'POST', headers: { ...req.headers, 'Content-Type': contentType, 'Content-Length': body.length }, timeout: req.timeoutMillis },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${req.timeoutMillis} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

function sendGrpc(req: ExitSendRequest, body: Buffer): Promise<void> {
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const url = new URL(req.url);
  const credentials = url.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  const client = new grpc.Client(url.host, credentials);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(req.headers)) metadata.set(k, v);
  const identity = (b: Buffer) => b;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(GRPC_EXPORT_PATH, identity, identity, body, metadata, { deadline: Date.now() + req.timeoutMillis }, (err) => {
      client.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as ExitSendRequest;
  const body = readFileSync(0);
  await (req.protocol === 'grpc' ? sendGrpc(req, body) : sendHttp(req, body));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
