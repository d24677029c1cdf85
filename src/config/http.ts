// Reads the HTTP instrumentation's variables: URL exclusions, header capture, which implementation (http, undici), express spans.
import { showValue, type EnvReader } from './env-reader';
import type { HttpConfig } from './types';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

export function readHttp(r: EnvReader): HttpConfig {
  return {
    excludedUrls: readExcludedUrls(r),
    captureHeaders: {
      serverRequest: readHeaderList(r, 'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST'),
      serverResponse: readHeaderList(r, 'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE'),
      clientRequest: readHeaderList(r, 'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST'),
      clientResponse: readHeaderList(r, 'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE'),
    },
    implementation: readImplementation(r, 'OTEL_AGENT_HTTP_INSTRUMENTATION'),
    undiciImplementation: readImplementation(r, 'OTEL_AGENT_UNDICI_INSTRUMENTATION'),
    expressMiddlewareSpans: r.boolean('OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS') ?? false,
  };
}

/** Comma-separated regular expressions; one that does not compile is named in a warning and skipped. */
function readExcludedUrls(r: EnvReader): string[] {
  const value = r.string('OTEL_NODE_EXCLUDED_URLS');
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const source = part.trim();
    if (source === '') continue;
    try {
      new RegExp(source);
      out.push(source);
    } catch {
      r.warn(`OTEL_NODE_EXCLUDED_URLS has an invalid regular expression "${showValue(source)}"; it is skipped`);
    }
  }
  return out;
}

function readHeaderList(r: EnvReader, name: string): string[] {
  const list = r.list(name);
  if (list === undefined) return [];
  const out = new Set<string>();
  for (const header of list) {
    if (HEADER_NAME.test(header)) out.add(header);
    else r.warn(`${name} has an invalid header name "${showValue(header)}"; it is skipped`);
  }
  return [...out];
}

/** OTEL_AGENT_HTTP_INSTRUMENTATION (node:http) or OTEL_AGENT_UNDICI_INSTRUMENTATION (fetch, undici): agent or upstream. */
function readImplementation(r: EnvReader, name: string): HttpConfig['implementation'] {
  const value = r.string(name)?.toLowerCase();
  if (value === undefined || value === 'agent') return 'agent';
  if (value === 'upstream') return 'upstream';
  r.invalid(name, value, 'agent or upstream', 'agent');
  return 'agent';
}
