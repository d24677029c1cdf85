// Redaction for what the CLI prints: credentials in URLs and secret-looking query parameters.

import { REDACTED } from '../redaction/index';

export { REDACTED };

const SECRET_PARAM = /(token|key|secret|password|passwd|auth|signature|sig|credential)/i;

/** `https://user:pw@host/p?api_key=x` -> `https://<redacted>@host/p?api_key=<redacted>`; non-URLs unchanged. */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value.replace(/\/\/[^/@\s]*@/, `//${REDACTED}@`);
  }
  const hadCredentials = url.username !== '' || url.password !== '';
  url.username = '';
  url.password = '';
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, 'REDACTED');
  }
  let out = url.href.replace(/=REDACTED/g, `=${REDACTED}`);
  if (hadCredentials) out = out.replace('//', `//${REDACTED}@`);
  // new URL() adds a slash to a bare origin; keep the user's spelling where nothing changed.
  return !hadCredentials && out === `${value}/` ? value : out;
}

/** Header names with their values hidden: values are credentials often enough to never show any. */
export function redactHeaders(headers: Record<string, string>): string {
  return Object.keys(headers)
    .map((k) => `${k}=${REDACTED}`)
    .join(',');
}
