// Attributes of a server span, computed once per request with string slicing (URL parsing only for unusual targets).
import type { Attributes } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import { normalizeMethod, parseForwarded, parseHostHeader, removePort, targetPath, type QueryRedactor } from './url-parts';

/** Everything upstream records at the start of a server span, for the same request. */
export function serverStartAttributes(req: IncomingMessage, scheme: 'http' | 'https', redactor: QueryRedactor): Attributes {
  const headers = req.headers;
  const method = req.method;
  const socket = req.socket;
  const normalized = normalizeMethod(method);
  const attributes: Attributes = { 'http.request.method': normalized, 'url.scheme': scheme };
  const forwarded = headers.forwarded;
  const server = serverAddress(req, scheme, forwarded);
  if (server) {
    attributes['server.address'] = server.host;
    if (server.port !== undefined) attributes['server.port'] = Number(server.port);
  }
  const peerAddress = socket?.remoteAddress;
  if (peerAddress !== undefined) attributes['network.peer.address'] = peerAddress;
  const peerPort = socket?.remotePort;
  if (peerPort !== undefined) attributes['network.peer.port'] = peerPort;
  attributes['network.protocol.version'] = req.httpVersion;
  const userAgent = headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = targetPath(target, queryAt);
  if (path !== undefined) attributes['url.path'] = path;
  if (queryAt !== -1 && queryAt < target.length - 1) {
    const hashAt = target.indexOf('#', queryAt);
    const query = hashAt === -1 ? target.slice(queryAt + 1) : target.slice(queryAt + 1, hashAt);
    if (query !== '') attributes['url.query'] = redactor.redact(query);
  }
  const client = clientAddress(req, forwarded);
  if (client !== undefined) attributes['client.address'] = client;
  if (method !== normalized && method !== undefined) attributes['http.request.method_original'] = method;
  return attributes;
}

function serverAddress(req: IncomingMessage, scheme: string, forwarded: string | undefined): { host: string; port?: string } | undefined {
  const headers = req.headers;
  if (forwarded) {
    for (const entry of parseForwarded(forwarded)) if (entry.host) return parseHostHeader(entry.host, entry.proto);
  }
  const xfHost = headers['x-forwarded-host'];
  const host = Array.isArray(xfHost) ? (xfHost[0] || undefined) : xfHost;
  if (typeof host === 'string') {
    const proto = headers['x-forwarded-proto'];
    return parseHostHeader(host, Array.isArray(proto) ? proto[0] : proto);
  }
  const hostHeader = headers.host;
  return hostHeader ? parseHostHeader(hostHeader, scheme) : undefined;
}

function clientAddress(req: IncomingMessage, forwarded: string | undefined): string | undefined {
  if (forwarded) {
    for (const entry of parseForwarded(forwarded)) if (entry.for) return removePort(entry.for);
  }
  const xff = req.headers['x-forwarded-for'];
  const first = Array.isArray(xff) ? xff[0] : xff;
  if (typeof first === 'string' && first !== '') return removePort(first.split(',')[0].trim());
  return req.socket?.remoteAddress ?? undefined;
}
