// Redaction of secrets in values the agent records: command-line arguments, URLs, key=value pairs.

export const REDACTED = '<redacted>';

/** Flag or key names whose value is a secret. */
const SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|jit[-_]?config|session|cookie|bearer|signature)/i;
/** Values that look like credentials on their own: JWTs, long base64/hex blobs, PEM keys. */
const LOOKS_SECRET = [
  /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, // JWT
  /^[A-Za-z0-9+/_-]{32,}={0,2}$/, // long base64 / hex / url-safe token
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^(gh[pousr]|github_pat|glpat|xox[abprs]|AKIA|sk-)[A-Za-z0-9_-]{8,}/, // well-known token prefixes
];

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export function looksLikeSecret(value: string): boolean {
  return LOOKS_SECRET.some((re) => re.test(value));
}

/** Removes the password (and user) from URLs inside a string. */
export function redactUrlCredentials(value: string): string {
  return value.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`);
}

/**
 * Redacts arguments: values of secret-named flags (`--token x`, `--token=x`), secret `KEY=value`
 * pairs, credential-looking values and URL credentials. `extraValueFlags` adds flags whose next
 * argument is secret for a known program (e.g. `-c` of the KubeVirt runner).
 */
export function redactArgs(args: readonly string[], extraValueFlags: readonly string[] = []): string[] {
  const out: string[] = [];
  let redactNext = false;
  for (const arg of args) {
    if (redactNext) {
      out.push(REDACTED);
      redactNext = false;
      continue;
    }
    const flag = /^(-{1,2}[A-Za-z0-9][\w.-]*)(=(.*))?$/s.exec(arg);
    if (flag) {
      const [, name, hasValue] = flag;
      const secret = isSecretName(name) || extraValueFlags.includes(name);
      if (secret && hasValue) out.push(`${name}=${REDACTED}`);
      else {
        out.push(arg);
        redactNext = secret && !hasValue;
      }
      continue;
    }
    const kv = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(arg);
    if (kv && isSecretName(kv[1])) {
      out.push(`${kv[1]}=${REDACTED}`);
      continue;
    }
    out.push(looksLikeSecret(arg) ? REDACTED : redactUrlCredentials(arg));
  }
  return out;
}
