// Unit tests of the HTTP instrumentation's variables in resolveConfig (shared spec field names).
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config';

const known = [
  { id: 'http', defaultOn: true },
  { id: 'express', defaultOn: true },
];
const resolve = (env: Record<string, string>) => resolveConfig(env, { knownInstrumentations: known });

describe('HTTP configuration', () => {
  it('defaults: no exclusions, no headers, the agent implementation, no middleware spans', () => {
    const { config, warnings } = resolve({});
    expect(config.http).toEqual({
      excludedUrls: [],
      captureHeaders: { serverRequest: [], serverResponse: [], clientRequest: [], clientResponse: [] },
      implementation: 'agent',
      undiciImplementation: 'agent',
      expressMiddlewareSpans: false,
    });
    expect(warnings).toEqual([]);
  });

  it('OTEL_NODE_EXCLUDED_URLS: comma-separated regular expressions; a bad one warns once, naming it, and is skipped', () => {
    const { config, warnings } = resolve({ OTEL_NODE_EXCLUDED_URLS: '^/health$, /metrics ,([bad,^/ready' });
    expect(config.http.excludedUrls).toEqual(['^/health$', '/metrics', '^/ready']);
    expect(warnings).toEqual(['OTEL_NODE_EXCLUDED_URLS has an invalid regular expression "([bad"; it is skipped']);
  });

  it('OTEL_NODE_EXCLUDED_URLS: commas inside {m,n}, [], () and escaped \\, do not split', () => {
    const { config, warnings } = resolve({ OTEL_NODE_EXCLUDED_URLS: '^/a{1,3}$,^/b/[,;]x,^/(c,d)$,^/e\\,f$, ^/g' });
    expect(config.http.excludedUrls).toEqual(['^/a{1,3}$', '^/b/[,;]x', '^/(c,d)$', '^/e\\,f$', '^/g']);
    expect(warnings).toEqual([]);
    expect(new RegExp(config.http.excludedUrls[3]).test('/e,f')).toBe(true);
    // A group never closed: the broken expression is named, the ones after it still count.
    const broken = resolve({ OTEL_NODE_EXCLUDED_URLS: '^/x{1,2}$,([bad,^/ready,^/live' });
    expect(broken.config.http.excludedUrls).toEqual(['^/x{1,2}$', '^/ready', '^/live']);
    expect(broken.warnings).toEqual(['OTEL_NODE_EXCLUDED_URLS has an invalid regular expression "([bad"; it is skipped']);
  });

  it('many bad items in a list cost one warning: the count and the first three', () => {
    const bad = Array.from({ length: 50_000 }, (_, i) => `bad header ${i}`).join(',');
    expect(resolve({ OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: `${bad},x-ok` }).warnings).toEqual([
      'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST has 50000 invalid header names (the first 3: "bad header 0", "bad header 1", "bad header 2"); they are skipped',
    ]);
    expect(resolve({ OTEL_NODE_EXCLUDED_URLS: '([a,([b' }).warnings).toEqual(['OTEL_NODE_EXCLUDED_URLS has 2 invalid regular expressions ("([a", "([b"); they are skipped']);
  });

  it('header capture lists are lower-cased and deduplicated; an invalid name warns', () => {
    const { config, warnings } = resolve({
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'X-Request-Id, user-agent,x-request-id',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'content-type',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST: 'authorization,bad header',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE: 'Set-Cookie',
    });
    expect(config.http.captureHeaders).toEqual({
      serverRequest: ['x-request-id', 'user-agent'],
      serverResponse: ['content-type'],
      clientRequest: ['authorization'],
      clientResponse: ['set-cookie'],
    });
    expect(warnings).toEqual(['OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST has an invalid header name "bad header"; it is skipped']);
  });

  it('OTEL_AGENT_HTTP_INSTRUMENTATION: agent or upstream; anything else warns and means agent', () => {
    expect(resolve({ OTEL_AGENT_HTTP_INSTRUMENTATION: 'Upstream' }).config.http.implementation).toBe('upstream');
    expect(resolve({ OTEL_AGENT_HTTP_INSTRUMENTATION: 'agent' }).config.http.implementation).toBe('agent');
    const bad = resolve({ OTEL_AGENT_HTTP_INSTRUMENTATION: 'both' });
    expect(bad.config.http.implementation).toBe('agent');
    expect(bad.warnings).toEqual(['OTEL_AGENT_HTTP_INSTRUMENTATION="both" is not agent or upstream; using agent']);
  });

  it('OTEL_AGENT_UNDICI_INSTRUMENTATION: agent or upstream, read as OTEL_AGENT_HTTP_INSTRUMENTATION', () => {
    expect(resolve({ OTEL_AGENT_UNDICI_INSTRUMENTATION: 'UPSTREAM' }).config.http.undiciImplementation).toBe('upstream');
    expect(resolve({ OTEL_AGENT_UNDICI_INSTRUMENTATION: 'upstream' }).config.http.implementation).toBe('agent');
    const bad = resolve({ OTEL_AGENT_UNDICI_INSTRUMENTATION: 'off' });
    expect(bad.config.http.undiciImplementation).toBe('agent');
    expect(bad.warnings).toEqual(['OTEL_AGENT_UNDICI_INSTRUMENTATION="off" is not agent or upstream; using agent']);
  });

  it('OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: a boolean; a bad value warns and keeps the default', () => {
    expect(resolve({ OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' }).config.http.expressMiddlewareSpans).toBe(true);
    const bad = resolve({ OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'yes' });
    expect(bad.config.http.expressMiddlewareSpans).toBe(false);
    expect(bad.warnings).toHaveLength(1);
    expect(bad.warnings[0]).toContain('OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS="yes"');
  });
});
