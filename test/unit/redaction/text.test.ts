// Unit tests of free-text redaction (exception messages, resource values) and query names read as servers decode them.
import { describe, expect, it } from 'vitest';
import { redactArgs } from '../../../src/redaction/index';
import { decodeQueryName, redactText } from '../../../src/redaction/text';

describe('decodeQueryName', () => {
  it.each([
    ['acc%65ss_token', 'access_token'],
    ['X%2DAmz%2DSignature', 'x-amz-signature'],
    ['%74oken', 'token'],
    ['token[]', 'token'],
    ['token[0]', 'token'],
    ['%zz%74oken', '%zztoken'],
    ['plain', 'plain'],
  ])('%s', (name, decoded) => expect(decodeQueryName(name)).toBe(decoded));
});

describe('redactText', () => {
  it('URL credentials, secret name=value pairs and query parameters (names decoded), bearer tokens, JWTs', () => {
    expect(redactText('connect ECONNREFUSED postgres://app:PW@db:5432/orders')).toBe('connect ECONNREFUSED postgres://<redacted>@db:5432/orders');
    expect(redactText('GET https://api.example/v1?%74oken=abc&page=2 failed')).toBe('GET https://api.example/v1?%74oken=<redacted>&page=2 failed');
    expect(redactText('dsn host=db password=hunter2 user=app')).toBe('dsn host=db password=<redacted> user=app');
    expect(redactText('GET https://acct.blob.core.windows.net/c/b?sv=2022&sig=abc%2Bd&se=1 403')).toBe('GET https://acct.blob.core.windows.net/c/b?sv=2022&sig=<redacted>&se=1 403');
    expect(redactText('Authorization: Bearer abcdefgh12345678')).toBe('Authorization: Bearer <redacted>');
    expect(redactText('bad jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig here')).toBe('bad jwt <redacted> here');
  });
  it('keeps ordinary text: stack frames, country codes, short words after Basic', () => {
    const stack = 'Error: boom\n    at handler (/app/server.js:10:5)\n    at process (node:internal/x:1:1)';
    expect(redactText(stack)).toBe(stack);
    expect(redactText('?code=US&page=2 not found; a Basic idea')).toBe('?code=US&page=2 not found; a Basic idea');
    expect(redactText('Basic authentication failed; Bearer tokens expired')).toBe('Basic authentication failed; Bearer tokens expired');
    expect(redactText('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic <redacted>');
  });
  it('is linear on long hostile input (one pass per run of characters)', () => {
    for (const s of ['a'.repeat(200_000), 'eyJ'.repeat(70_000), 'token'.repeat(40_000), `${'x.'.repeat(100_000)}`, 'Bearer '.repeat(30_000), '%'.repeat(200_000) + '=']) {
      expect(redactText(s).length).toBeGreaterThan(0);
    }
  });
});

describe('command lines: query names decoded', () => {
  it('redacts ?%74oken= in an argument', () => {
    expect(redactArgs(['https://h/p?%74oken=abc&x=1'])).toEqual(['https://h/p?%74oken=<redacted>&x=1']);
  });
});
