// The doctor's checks: the Node.js version, and whether each destination can take spans (a bounded probe, no junk left behind).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import type { FileExporterConfig, OtlpExporterConfig, TraceExporterConfig } from '../../config';
import { readTlsFiles } from '../../export/tls-files';
import { redactUrl } from '../redact';

export const MIN_NODE = [22, 15] as const;

export interface CheckResult {
  ok: boolean;
  /** What was found, one line. */
  message: string;
}

export function checkNode(version = process.versions.node): CheckResult {
  const [major, minor] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return { ok, message: `Node.js ${version} ${ok ? 'is supported' : `is not supported (needs >= ${MIN_NODE.join('.')}): the agent stays off`}` };
}

export interface Destination {
  kind: TraceExporterConfig['kind'];
  /** Where spans go, credentials redacted. */
  target: string;
  check: CheckResult;
}

/** Probes every destination at once; each probe is bounded by `timeoutMillis`. */
export async function checkDestinations(exporters: readonly TraceExporterConfig[], timeoutMillis: number): Promise<Destination[]> {
  return Promise.all(
    exporters.map(async (exporter): Promise<Destination> => {
      switch (exporter.kind) {
        case 'otlp':
          return { kind: 'otlp', target: `OTLP ${exporter.protocol} ${redactUrl(exporter.url)}`, check: await probeOtlp(exporter, timeoutMillis) };
        case 'zipkin':
          return { kind: 'zipkin', target: `Zipkin ${redactUrl(exporter.url)}`, check: await probeHttp(exporter.url, 'application/json', '[]', {}, {}, timeoutMillis) };
        case 'file':
          return { kind: 'file', target: fileTarget(exporter), check: checkFile(exporter) };
        case 'console':
          return { kind: 'console', target: 'the console', check: { ok: true, message: 'spans are printed on stdout' } };
      }
    }),
  );
}

function fileTarget(exporter: FileExporterConfig): string {
  const t = exporter.target;
  return t.kind === 'stdout' ? 'stdout (JSON Lines)' : `${exporter.format} file ${t.kind === 'file' ? t.path : `per process in ${t.dir}/`}`;
}

async function probeOtlp(exporter: OtlpExporterConfig, timeoutMillis: number): Promise<CheckResult> {
  if (exporter.protocol === 'grpc') return probeTcp(exporter.url, timeoutMillis);
  // An empty export request is a valid request with no spans: a collector answers it with 200 and
  // records nothing. That checks the path and the headers (authorization) too, not just the port.
  const json = exporter.protocol === 'http/json';
  // The files the exporter reads (variables or the configuration file's tls block), read the same bounded way.
  const tls = readTlsFiles(exporter.tls);
  if (tls.problems.length > 0) return { ok: false, message: tls.problems.join('; ') };
  return probeHttp(exporter.url, json ? 'application/json' : 'application/x-protobuf', json ? '{}' : '', exporter.headers, tls.options, timeoutMillis);
}

export function probeHttp(
  url: string,
  contentType: string,
  body: string,
  headers: Record<string, string>,
  tls: https.RequestOptions,
  timeoutMillis: number,
): Promise<CheckResult> {
  const started = Date.now();
  const shown = redactUrl(url);
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const u = new URL(url);
    const client = u.protocol === 'https:' ? https : http;
    const req = client.request(u, { method: 'POST', headers: { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }, agent: false, ...tls }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const ms = Date.now() - started;
      if (status >= 200 && status < 300) done({ ok: true, message: `answered HTTP ${status} in ${ms} ms` });
      else if (status === 400 || status === 415) done({ ok: true, message: `answered HTTP ${status} in ${ms} ms (reachable; it did not take the empty probe request, which some servers refuse)` });
      else if (status === 401 || status === 403) done({ ok: false, message: `answered HTTP ${status}: not authorized (check OTEL_EXPORTER_OTLP_HEADERS)` });
      else if (status === 404 || status === 405) done({ ok: false, message: `answered HTTP ${status}: nothing takes traces at ${u.pathname} (check the endpoint's path)` });
      else done({ ok: false, message: `answered HTTP ${status} ${res.statusMessage ?? ''}`.trim() });
    });
    const timer = setTimeout(() => done({ ok: false, message: `no answer from ${shown} within ${timeoutMillis} ms` }), timeoutMillis);
    // The destination is named by the caller: the message is only what went wrong.
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: `cannot connect: ${err.code ?? err.message}${err.code && err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}` }));
    req.end(body);
  });
}

/** gRPC: a TCP connection to the server's port (an RPC would need the channel machinery for one bit). */
export function probeTcp(url: string, timeoutMillis: number): Promise<CheckResult> {
  const started = Date.now();
  let host: string;
  let port: number;
  try {
    const u = new URL(url.includes('://') ? url : `http://${url}`);
    host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    port = Number(u.port || (u.protocol === 'https:' ? 443 : 4317));
  } catch {
    return Promise.resolve({ ok: false, message: `${redactUrl(url)} is not a host:port` });
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: CheckResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, message: `no TCP connection to ${host}:${port} within ${timeoutMillis} ms` }), timeoutMillis);
    socket.once('connect', () => done({ ok: true, message: `accepts TCP connections on ${host}:${port} (${Date.now() - started} ms)` }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: `cannot connect to ${host}:${port}: ${err.code ?? err.message}` }));
  });
}

/** Whether the agent could write there, without creating anything: the file, or its directory, must be writable. */
export function checkFile(exporter: FileExporterConfig): CheckResult {
  const t = exporter.target;
  if (t.kind === 'stdout') return { ok: true, message: 'spans are written to stdout' };
  if (t.kind === 'file') {
    const stat = statOf(t.path);
    if (stat?.isDirectory()) return { ok: false, message: `${t.path} is a directory (${exporter.sourceVariable} names a file; use OTEL_EXPORTER_OTLP_TRACES_DIR for a directory)` };
    if (stat) return writable(t.path) ? { ok: true, message: `${t.path} exists and is writable (spans are appended)` } : { ok: false, message: `${t.path} is not writable` };
    const dir = path.dirname(path.resolve(t.path));
    const dirStat = statOf(dir);
    if (!dirStat?.isDirectory()) return { ok: false, message: `directory ${dir} does not exist (the agent does not create it)` };
    return writable(dir) ? { ok: true, message: `${t.path} will be created in writable ${dir}` } : { ok: false, message: `directory ${dir} is not writable` };
  }
  // A trace directory is created when missing: the nearest existing ancestor must be writable.
  let dir = path.resolve(t.dir);
  const stat = statOf(dir);
  if (stat && !stat.isDirectory()) return { ok: false, message: `${t.dir} is not a directory` };
  if (stat) return writable(dir) ? { ok: true, message: `${t.dir} is a writable directory` } : { ok: false, message: `${t.dir} is not writable` };
  while (!statOf(dir)) dir = path.dirname(dir);
  if (!statOf(dir)?.isDirectory()) return { ok: false, message: `${dir} is not a directory, so ${t.dir} cannot be created` };
  return writable(dir) ? { ok: true, message: `${t.dir} will be created (in writable ${dir})` } : { ok: false, message: `${t.dir} cannot be created: ${dir} is not writable` };
}

function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK | (statOf(p)?.isDirectory() ? fs.constants.X_OK : 0));
    return true;
  } catch {
    return false;
  }
}
