// Redaction of secrets in free text: exception messages, stack traces, resource attribute values.
import { isSecretName, REDACTED, redactUrlCredentials } from './secrets';

export { decodeQueryName } from './query-name';
import { decodeQueryName } from './query-name';

// Each pattern starts only where its run of characters starts (the lookbehinds), so a long run
// that does not match is scanned once, not once from every position: linear in the text's length.
/** `name=value` (a query parameter, a DSN's `password=x`): the value is redacted when the decoded name is secret. */
const KEY_VALUE = /(?<![\w.%[\]-])([\w.%[\]-]+)=([^\s&;,'"<>)]*)/g;
/**
 * `Bearer <token>`, `Basic <base64>` (an Authorization header's value quoted in a message): 8 or more
 * token characters with a digit, a symbol or an upper-case letter after a lower-case one among them
 * (base64, random tokens), so that "Basic authentication failed" stays.
 */
const AUTH_SCHEME = /(?<![\w-])([Bb]earer|[Bb]asic|BEARER|BASIC)(\s+)(?=[A-Za-z0-9._~+/=-]{8})(?=[A-Za-z0-9._~+/=-]*?(?:[0-9._~+/=-]|[a-z][A-Z]))[A-Za-z0-9._~+/=-]+/g;
/** A JWT anywhere in the text. */
const JWT = /(?<![\w-])eyJ[\w-]{8,}\.[\w-]{8,}(?:\.[\w-]*)?/g;

/** A secret-looking name, or `sig` (Azure SAS and signed URLs: too short a word for the name rule). */
function isSecretParam(name: string): boolean {
  return name === 'sig' || isSecretName(name);
}

/**
 * Redacts secrets inside free text: URL credentials (`postgres://app:PW@db` becomes
 * `postgres://<redacted>@db`), values of secret-named `name=value` pairs and query parameters
 * (names decoded first: `?%74oken=x`), `Bearer`/`Basic` credentials and JWTs. Everything else is kept.
 */
export function redactText(text: string): string {
  let out = redactUrlCredentials(text);
  if (out.includes('=')) {
    out = out.replace(KEY_VALUE, (all, name: string, value: string) => (value !== '' && value !== REDACTED && isSecretParam(decodeQueryName(name)) ? `${name}=${REDACTED}` : all));
  }
  out = out.replace(AUTH_SCHEME, `$1$2${REDACTED}`);
  out = out.replace(JWT, REDACTED);
  return out;
}
