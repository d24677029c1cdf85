// Redaction of secrets in free text: exception messages, stack traces, resource attribute values.
import { isSecretName, REDACTED, redactUrlCredentials } from './secrets';

export { decodeQueryName } from './query-name';
import { decodeQueryName } from './query-name';

// Each pattern starts only where its run of characters starts (the lookbehinds), so a long run
// that does not match is scanned once, not once from every position: linear in the text's length.
/** `name=value` (a query parameter, a DSN's `password=x`): the value is redacted when the decoded name is secret. */
const KEY_VALUE = /(?<![\w.%[\]-])([\w.%[\]-]+)=([^\s&;,'"<>)]*)/g;
/** `Bearer <token>`, `Basic <base64>` (an Authorization header's value quoted in a message). */
const AUTH_SCHEME = /(?<![\w-])(Bearer|Basic|Token)(\s+)(?=[A-Za-z0-9._~+/=-]{8})[A-Za-z0-9._~+/=-]+/gi;
/** A JWT anywhere in the text. */
const JWT = /(?<![\w-])eyJ[\w-]{8,}\.[\w-]{8,}(?:\.[\w-]*)?/g;

/**
 * Redacts secrets inside free text: URL credentials (`postgres://app:PW@db` becomes
 * `postgres://<redacted>@db`), values of secret-named `name=value` pairs and query parameters
 * (names decoded first: `?%74oken=x`), `Bearer`/`Basic` credentials and JWTs. Everything else is kept.
 */
export function redactText(text: string): string {
  let out = redactUrlCredentials(text);
  if (out.includes('=')) {
    out = out.replace(KEY_VALUE, (all, name: string, value: string) => (value !== '' && value !== REDACTED && isSecretName(decodeQueryName(name)) ? `${name}=${REDACTED}` : all));
  }
  out = out.replace(AUTH_SCHEME, `$1$2${REDACTED}`);
  out = out.replace(JWT, REDACTED);
  return out;
}
