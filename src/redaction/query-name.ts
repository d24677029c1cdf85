// Query parameter names read as servers read them (decoded, array suffix dropped), for matching against secret names.

/**
 * A query parameter's name as a server reads it, for matching against secret names: percent-decoded
 * (`acc%65ss_token` is `access_token`, `X%2DAmz%2DSignature` is `X-Amz-Signature`, as upstream's
 * URLSearchParams decodes it), `+` as a space, an array suffix dropped (`token[]`, `token[0]` are
 * `token` to PHP, Rails and qs), lower-cased. A malformed escape is kept as written.
 */
export function decodeQueryName(name: string): string {
  let decoded = name;
  if (decoded.includes('%') || decoded.includes('+')) {
    decoded = decoded.replace(/\+/g, ' ');
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      // `%zz`: decode the valid escapes one by one.
      decoded = decoded.replace(/%[0-9A-Fa-f]{2}/g, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
    }
  }
  const bracket = decoded.indexOf('[');
  if (bracket > 0 && decoded.endsWith(']')) decoded = decoded.slice(0, bracket);
  return decoded.trim().toLowerCase();
}
