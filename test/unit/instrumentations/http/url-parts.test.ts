// Unit tests of the HTTP instrumentation's URL handling: path slicing, query redaction, host headers, call forms.
import { describe, expect, it } from 'vitest';
import { clientStartAttributes, describeOutgoing } from '../../../../src/instrumentations/http/client-request';
import { AGENT_REDACTED_PARAMS, UPSTREAM_REDACTED_PARAMS } from '../../../../src/instrumentations/http/internal-types';
import { matchesExcluded, MAX_EXCLUDED_URL_MATCH, normalizeMethod, parseForwarded, parseHostHeader, QueryRedactor, targetPath } from '../../../../src/instrumentations/http/url-parts';

const redactor = new QueryRedactor([...UPSTREAM_REDACTED_PARAMS, ...AGENT_REDACTED_PARAMS]);

describe('targetPath: what new URL(target).pathname gives, by slicing when it can', () => {
  it.each([
    ['/users/42', -1],
    ['/a/b?x=1', 7],
    ['/a/./b/../c', -1],
    ['/with space', -1],
    ['/caf%C3%A9', -1],
    ['//double', -1],
    ['http://example.com/absolute?q', 29],
    ['/.well-known/x', -1],
    ['*', -1],
  ])('%s', (target, queryAt) => {
    expect(targetPath(target, queryAt)).toBe(new URL(target, 'http://localhost').pathname);
  });
});

describe('QueryRedactor', () => {
  it('redacts signature and token-like values, any case, and keeps the rest as sent', () => {
    expect(redactor.redact('a=1,2&Token=t&X-GOOG-SIGNATURE=s&page=2&sig=')).toBe('a=1,2&Token=REDACTED&X-GOOG-SIGNATURE=REDACTED&page=2&sig=REDACTED');
    expect(redactor.redact('tokens=1&mytoken=2&a')).toBe('tokens=1&mytoken=2&a');
  });
  it('matches names as the server decodes them: percent-encoded, `;`-separated, `name[]`', () => {
    expect(redactor.redact('acc%65ss_token=t&X%2DAmz%2DSignature=s&%74oken=u')).toBe('acc%65ss_token=REDACTED&X%2DAmz%2DSignature=REDACTED&%74oken=REDACTED');
    expect(redactor.redact('a=1;token=t;b=%zz')).toBe('a=1;token=REDACTED;b=%zz');
    expect(redactor.redact('token[]=t&token[0]=u&api_key[x]=v')).toBe('token[]=REDACTED&token[0]=REDACTED&api_key[x]=REDACTED');
    expect(redactor.redact('caf%C3%A9=1&%zz=2')).toBe('caf%C3%A9=1&%zz=2');
    // Upstream's names are decoded even with the agent's list off (upstream's URLSearchParams decodes them).
    expect(new QueryRedactor(UPSTREAM_REDACTED_PARAMS).redact('X%2DAmz%2DSignature=s')).toBe('X%2DAmz%2DSignature=REDACTED');
  });
  it('redacts OAuth and API-key names; `code` only in an OAuth-looking query', () => {
    const oauth = new QueryRedactor([...UPSTREAM_REDACTED_PARAMS, ...AGENT_REDACTED_PARAMS], true);
    expect(oauth.redact('client_secret=a&refresh_token=b&id_token=c&api-key=d&apikey=e')).toBe('client_secret=REDACTED&refresh_token=REDACTED&id_token=REDACTED&api-key=REDACTED&apikey=REDACTED');
    expect(oauth.redact('code=US&page=2')).toBe('code=US&page=2');
    expect(oauth.redact('code=SplxlOBeZQQYbYS6WxSbIA&state=xyz')).toBe('code=REDACTED&state=xyz');
    expect(oauth.redact('redirect_uri=https%3A%2F%2Fa&code=c')).toBe('redirect_uri=https%3A%2F%2Fa&code=REDACTED');
    expect(redactor.redact('code=c&state=s')).toBe('code=c&state=s');
  });
  it('with only upstream\'s names, leaves token-like parameters alone', () => {
    expect(new QueryRedactor(UPSTREAM_REDACTED_PARAMS).redact('token=t&sig=s')).toBe('token=t&sig=REDACTED');
  });
});

describe('matchesExcluded', () => {
  it('sees only the first 2048 characters of a URL, so a backtracking pattern costs at most that much input', () => {
    expect(MAX_EXCLUDED_URL_MATCH).toBe(2048);
    expect(matchesExcluded([/^\/health$/], '/health')).toBe(true);
    const long = `/${'a'.repeat(3000)}x`;
    expect(matchesExcluded([/x$/], long)).toBe(false);
    expect(matchesExcluded([/^\/a{100}/], long)).toBe(true);
    // Quadratic: about 20 s of a blocked event loop on 100k characters; on 2048, a few milliseconds.
    expect(matchesExcluded([/a*b/], 'a'.repeat(100_000))).toBe(false);
  });
});

describe('host headers and methods', () => {
  it('parses Host as upstream: default ports by scheme, IPv6 in brackets', () => {
    expect(parseHostHeader('example.com', 'http')).toEqual({ host: 'example.com', port: '80' });
    expect(parseHostHeader('example.com:8443', 'https')).toEqual({ host: 'example.com', port: '8443' });
    expect(parseHostHeader('[::1]:3000', 'http')).toEqual({ host: '[::1]', port: '3000' });
    expect(parseHostHeader('[::1]', 'https')).toEqual({ host: '[::1]', port: '443' });
  });
  it('parses Forwarded entries', () => {
    expect(parseForwarded('for=192.0.2.60;proto=http;host="a.example", for=198.51.100.17')).toEqual([{ for: '192.0.2.60', proto: 'http', host: 'a.example' }, { for: '198.51.100.17' }]);
  });
  it('normalizes methods', () => {
    expect([normalizeMethod('get'), normalizeMethod('PATCH'), normalizeMethod('PURGE'), normalizeMethod(undefined)]).toEqual(['GET', 'PATCH', '_OTHER', 'GET']);
  });
});

describe('describeOutgoing: every http.request call form', () => {
  it('URL string, with credentials and extra options', () => {
    const info = describeOutgoing('http', 'http://u:p@example.com:8080/a?token=x', { method: 'post', headers: { 'user-agent': 'ua' } }, redactor)!;
    expect(info).toEqual({ name: 'POST', method: 'post', urlFull: 'http://REDACTED:REDACTED@example.com:8080/a?token=REDACTED', hostname: 'example.com', port: 8080, userAgent: 'ua' });
    expect(clientStartAttributes(info)).toEqual({
      'http.request.method': 'POST',
      'http.request.method_original': 'post',
      'server.address': 'example.com',
      'server.port': 8080,
      'url.full': 'http://REDACTED:REDACTED@example.com:8080/a?token=REDACTED',
      'user_agent.original': 'ua',
    });
  });
  it('URL object, IPv6 (url.full as upstream builds it: no port after a bare IPv6 host)', () => {
    expect(describeOutgoing('http', new URL('http://[::1]:3000/x'), undefined, redactor)).toMatchObject({ hostname: '::1', port: 3000, urlFull: 'http://::1/x' });
  });
  it('options: host with port, default ports by protocol', () => {
    expect(describeOutgoing('http', { host: 'example.com:81', path: '/p' }, undefined, redactor)).toMatchObject({ hostname: 'example.com', port: 81, urlFull: 'http://example.com:81/p' });
    expect(describeOutgoing('https', { hostname: 'example.com' }, undefined, redactor)).toMatchObject({ port: 443, urlFull: 'https://example.com/' });
    expect(describeOutgoing('http', { hostname: 'example.com' }, undefined, redactor)).toMatchObject({ port: 80, urlFull: 'http://example.com/' });
  });
  it('arguments Node would reject give no description', () => {
    expect(describeOutgoing('http', 'not a url', undefined, redactor)).toBeUndefined();
    expect(describeOutgoing('http', 42, undefined, redactor)).toBeUndefined();
  });
});
