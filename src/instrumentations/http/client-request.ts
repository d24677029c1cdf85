// What an outgoing http.request/http.get call asks for, in every call form, and the client span's attributes.
import type { Attributes } from '@opentelemetry/api';
import type { OutgoingHttpHeaders } from 'node:http';
import { REDACTED } from './internal-types';
import { normalizeMethod, type QueryRedactor } from './url-parts';

export interface OutgoingRequestInfo {
  /** Upper-cased method, the span name. */
  name: string;
  /** The method as given (undefined: GET). */
  method?: string;
  urlFull: string;
  hostname: string;
  port: number;
  userAgent?: unknown;
}

interface RequestOptionsLike {
  protocol?: string | null;
  host?: string | null;
  hostname?: string | null;
  port?: string | number | null;
  path?: string | null;
  auth?: string | null;
  method?: string;
  headers?: OutgoingHttpHeaders | readonly string[];
}

interface UrlLike {
  href: string;
  protocol: string;
  hostname: string;
  host?: string;
  port: string;
  pathname: string;
  search: string;
  username: string;
  password: string;
}

/** As Node's own check for a WHATWG URL passed to http.request: by shape, not instanceof. */
function isUrlLike(value: unknown): value is UrlLike {
  const v = value as Partial<UrlLike & { auth: unknown; path: unknown }> | null;
  return Boolean(v?.href && v.protocol && v.auth === undefined && v.path === undefined);
}

function fromUrl(url: UrlLike, keepHost: boolean): RequestOptionsLike {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const options: RequestOptionsLike = { protocol: url.protocol, hostname, path: `${url.pathname || ''}${url.search || ''}` };
  if (keepHost) options.host = url.host;
  if (url.port !== '') options.port = Number(url.port);
  if (url.username || url.password) options.auth = 'set';
  return options;
}

/**
 * The request described by http.request's arguments (url string | URL | options, then options, then callback),
 * or undefined when Node would reject them (Node then throws as usual, without a span).
 */
export function describeOutgoing(component: 'http' | 'https', input: unknown, extra: unknown, redactor: QueryRedactor): OutgoingRequestInfo | undefined {
  let options: RequestOptionsLike;
  if (typeof input === 'string') {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return undefined;
    }
    options = fromUrl(url, true);
  } else if (isUrlLike(input)) {
    options = fromUrl(input, false);
  } else if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const given = input as RequestOptionsLike;
    options = { ...given, protocol: given.protocol || (component === 'https' ? 'https:' : given.host ? 'http:' : undefined) };
    if (component === 'https' && !given.port) options.port = 443;
  } else {
    return undefined;
  }
  if (typeof input !== 'object' || isUrlLike(input)) {
    if (extra !== null && typeof extra === 'object') Object.assign(options, extra);
  }
  const headers = (Array.isArray(options.headers) ? {} : options.headers ?? {}) as OutgoingHttpHeaders;

  // server.address / server.port, as upstream's extractHostnameAndPort.
  const optHostname = typeof options.hostname === 'string' ? options.hostname : undefined;
  const optHost = typeof options.host === 'string' ? options.host : undefined;
  let port: string | number | undefined = typeof options.port === 'string' || typeof options.port === 'number' ? options.port : undefined;
  let hostname = optHostname;
  if (!(optHostname && port)) {
    const match = optHost ? /^([^:/ ]+)(:\d{1,5})?/.exec(optHost) : null;
    hostname = optHostname || (match === null ? 'localhost' : match[1]);
    if (!port) port = match?.[2] ? match[2].slice(1) : options.protocol === 'https:' ? '443' : '80';
  }

  // url.full, as upstream's getAbsoluteUrl.
  const portText = String(options.port ?? '');
  let host = optHost || optHostname || (typeof headers.host === 'string' ? headers.host : '') || 'localhost';
  if (!host.includes(':') && portText && portText !== '80' && portText !== '443') host += `:${portText}`;
  let path = options.path || '/';
  const queryAt = path.indexOf('?');
  if (queryAt !== -1) path = `${path.slice(0, queryAt + 1)}${redactor.redact(path.slice(queryAt + 1))}`;
  const urlFull = `${options.protocol || `${component}:`}//${options.auth ? `${REDACTED}:${REDACTED}@` : ''}${host}${path}`;

  const method = typeof options.method === 'string' ? options.method : undefined;
  return { name: method ? method.toUpperCase() : 'GET', method, urlFull, hostname: hostname!, port: Number(port), userAgent: headers['user-agent'] };
}

export function clientStartAttributes(info: OutgoingRequestInfo): Attributes {
  const method = info.method ?? 'GET';
  const normalized = normalizeMethod(method);
  const attributes: Attributes = {
    'http.request.method': normalized,
    'server.address': info.hostname,
    'server.port': info.port,
    'url.full': info.urlFull,
  };
  if (info.userAgent !== undefined) attributes['user_agent.original'] = info.userAgent as string;
  if (method !== normalized) attributes['http.request.method_original'] = method;
  return attributes;
}
