// URL pieces for the spans: path and query of a request target, query redaction, host headers, Forwarded.
import { decodeQueryName } from '../../redaction/text';
import { KNOWN_METHODS, REDACTED } from './internal-types';

/** A path URL parsing would leave as it is: starts with one slash, no dot segments, only characters it keeps. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@%/]*$/;

/** `url.path` as upstream's `new URL(req.url, base).pathname` gives it, by slicing when parsing would change nothing. */
export function targetPath(target: string, queryAt: number): string | undefined {
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (PLAIN_PATH.test(path) && !path.includes('/.')) return path;
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Parameters whose value is an OAuth authorization code only next to one of these: `?code=US`
 * (a country, a product code) is kept, `?code=x&state=y` (an OAuth redirect) is redacted.
 */
const OAUTH_CONTEXT = new Set(['state', 'redirect_uri', 'client_id', 'session_state', 'code_verifier', 'grant_type', 'scope']);

/**
 * Redacts the values of sensitive query parameters in a query string (without '?'); other text is kept as sent.
 * Names are matched as the server reads them (see {@link decodeQueryName}: percent-decoded, `token[]`
 * as `token`, any case); parameters are separated by `&` or `;` (both are, to many servers).
 */
export class QueryRedactor {
  private readonly names: Set<string>;
  private readonly oauthCode: boolean;
  private readonly test: RegExp;

  /** `oauthCode`: also redact `code` where the query is clearly an OAuth one ({@link OAUTH_CONTEXT}). */
  constructor(names: readonly string[], oauthCode = false) {
    this.names = new Set(names.map((n) => n.toLowerCase()));
    this.oauthCode = oauthCode;
    const alternatives = [...names, ...(oauthCode ? ['code'] : [])].map((n) => n.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|');
    this.test = new RegExp(`(?:^|[&;])(?:${alternatives})(?:\\[[^\\]=&;]*\\])?=`, 'i');
  }

  redact(query: string): string {
    // The quick test misses encoded names only: a `%` in the query takes the full path.
    if (!this.test.test(query) && !query.includes('%')) return query;
    const parts = query.split(/([&;])/);
    const names = parts.map((p, i) => {
      if (i % 2 === 1) return '';
      const eq = p.indexOf('=');
      return eq > 0 ? decodeQueryName(p.slice(0, eq)) : '';
    });
    const oauth = this.oauthCode && names.some((n) => OAUTH_CONTEXT.has(n));
    for (let i = 0; i < parts.length; i += 2) {
      if (this.names.has(names[i]) || (oauth && names[i] === 'code')) parts[i] = `${parts[i].slice(0, parts[i].indexOf('=') + 1)}${REDACTED}`;
    }
    return parts.join('');
  }
}

/**
 * How much of a URL the exclusion patterns see: the first 2048 characters. A request target is chosen
 * by whoever sends the request; a pattern that backtracks polynomially (`^/(a|a?)+x`, `.*.*=`) costs
 * time with the length, and this bounds it (an exponential pattern is not made safe by any bound: the
 * patterns are trusted input).
 */
export const MAX_EXCLUDED_URL_MATCH = 2048;

/** Whether `value` (its first {@link MAX_EXCLUDED_URL_MATCH} characters) matches one of the exclusion patterns. */
export function matchesExcluded(patterns: readonly RegExp[], value: string): boolean {
  const seen = value.length > MAX_EXCLUDED_URL_MATCH ? value.slice(0, MAX_EXCLUDED_URL_MATCH) : value;
  for (const re of patterns) {
    // A /g or /y pattern keeps a position between calls; exclusion asks each time from the start.
    re.lastIndex = 0;
    if (re.test(seen)) return true;
  }
  return false;
}

/** The conventions' method: known methods upper-cased, anything else `_OTHER`. */
export function normalizeMethod(method: string | undefined): string {
  if (method == null) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Host and port from a Host-style header, as upstream's parseHostHeader (IPv6 in brackets, default ports by scheme). */
export function parseHostHeader(value: string, proto?: string): { host: string; port?: string } {
  const defaultPort = proto === 'http' ? '80' : proto === 'https' ? '443' : undefined;
  // One colon or none (nearly every Host header): no split, on the request path.
  const colon = value.indexOf(':');
  if (colon === -1) return { host: value, port: defaultPort };
  if (value.indexOf(':', colon + 1) === -1) return { host: value.slice(0, colon), port: value.slice(colon + 1) };
  const parts = value.split(':');
  if (parts[0].startsWith('[')) {
    if (parts[parts.length - 1].endsWith(']')) {
      if (defaultPort) return { host: value, port: defaultPort };
    } else if (parts[parts.length - 2].endsWith(']')) {
      return { host: parts.slice(0, -1).join(':'), port: parts[parts.length - 1] };
    }
  }
  return { host: value };
}

/** The entries of a Forwarded header (RFC 7239): lower-case parameter names, unquoted values; malformed parts are skipped. */
export function parseForwarded(header: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const element of header.split(',')) {
    const entry: Record<string, string> = {};
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      let value = pair.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      entry[pair.slice(0, eq).trim().toLowerCase()] = value;
    }
    out.push(entry);
  }
  return out;
}

/** An address from Forwarded/X-Forwarded-For without its port (IPv6 without brackets), as upstream. */
export function removePort(input: string): string {
  try {
    const { hostname } = new URL(`http://${input}`);
    return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  } catch {
    return input;
  }
}
