// Reads the HTTP instrumentation's variables: URL exclusions, header capture, which implementation (http, undici), express spans.
import type { EnvReader } from './env-reader';
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
  const invalid: string[] = [];
  for (const part of splitPatterns(value)) {
    const source = part.trim();
    if (source === '') continue;
    try {
      new RegExp(source);
      out.push(source);
    } catch {
      invalid.push(source);
    }
  }
  r.warnItems('OTEL_NODE_EXCLUDED_URLS', invalid, 'has an invalid regular expression', (n) => `has ${n} invalid regular expressions`, '; it is skipped');
  return out;
}

/**
 * Splits a comma-separated list of regular expressions at the commas that separate them: not at a
 * comma inside `{}` (`^/a{1,3}$`), `[]` or `()`, nor at an escaped `\,` (which the expression keeps:
 * to a regular expression `\,` is a comma). From a group that is never closed on, the rest is split
 * at every unescaped comma, so one broken expression does not swallow the ones after it. One pass.
 */
export function splitPatterns(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let parens = 0;
  let braces = 0;
  let inClass = false;
  /** Where the outermost group still open started. */
  let openAt = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      i++;
      continue;
    }
    const balanced = parens === 0 && braces === 0 && !inClass;
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') parens++;
    else if (c === ')') parens = Math.max(0, parens - 1);
    else if (c === '{') braces++;
    else if (c === '}') braces = Math.max(0, braces - 1);
    else if (c === ',' && balanced) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
    if (balanced && (parens > 0 || braces > 0 || inClass)) openAt = i;
  }
  if (parens === 0 && braces === 0 && !inClass) return [...out, value.slice(start)];
  // A group never closed: from where it opens, the rest splits at every unescaped comma.
  const rest = splitAtUnescapedCommas(value.slice(openAt));
  rest[0] = value.slice(start, openAt) + rest[0];
  return [...out, ...rest];
}

function splitAtUnescapedCommas(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

function readHeaderList(r: EnvReader, name: string): string[] {
  const list = r.list(name);
  if (list === undefined) return [];
  const out = new Set<string>();
  const invalid: string[] = [];
  for (const header of list) {
    if (HEADER_NAME.test(header)) out.add(header);
    else invalid.push(header);
  }
  r.warnItems(name, invalid, 'has an invalid header name', (n) => `has ${n} invalid header names`, '; it is skipped');
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
