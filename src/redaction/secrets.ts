// Secrets in values: secret-named flags and keys, credential-looking values, URL credentials and query parameters, headers, JSON.
import { decodeQueryName } from './query-name';

export const REDACTED = '<redacted>';

/** Flag or key names whose value is a secret (`auth`, but not `author` or `authority`; `authorization` is). */
const SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth(?!or(?!i[sz]))|jit[-_]?config|session|cookie|bearer|signature)/i;
/** Values that look like credentials on their own, whatever their shape: JWTs, PEM keys, well-known token prefixes. */
const LOOKS_SECRET = [
  /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, // JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^(gh[pousr]|github_pat|glpat|xox[abprs]|AKIA|sk-)[A-Za-z0-9_-]{8,}/, // well-known token prefixes
];
/** A long base64 / hex / url-safe token; since `/` is in base64's alphabet, long paths have this shape too. */
const LONG_TOKEN = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;

/** `MYSQL_PWD`, `DB_PWD`: a password by its `_PWD` suffix (but `PWD`, `OLDPWD`, the working directory, are not). */
const PWD_SUFFIX = /._pwd$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) || PWD_SUFFIX.test(name);
}

/** Query parameters that are secrets in URLs though their names are not (API keys, signed-URL signatures). */
const SECRET_QUERY_NAME = /^(key|sig)$/i;

/** A JWT inside a longer value (`Bearer:eyJ...`, `jwt=eyJ...,x=1`): header and payload are base64url JSON. */
const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(\.[A-Za-z0-9_-]*)?/g;

export function looksLikeSecret(value: string): boolean {
  if (LOOKS_SECRET.some((re) => re.test(value))) return true;
  return LONG_TOKEN.test(value) && !looksLikePath(value);
}

// A path is told from a token that contains `/` by its segments: a path's read like names
// (`node_modules`, `bin`, `MyProject`), a token's are random (`wJalrXUtnFEMI/K7MDENG/...`).
// Measured on 400,000 random 24-48 byte base64 tokens: 1 passed as a path; of tokens forced to
// start with `/` (1 in 64 of standard base64 does), 1 in 10,000.
const PATH_PREFIX = /^(\/|\.{1,2}\/|~\/)/;
const LOWERCASE_SEGMENT = /^[a-z0-9_.-]+$/;
/** The words of a name: `MyCompanyBackend2` -> My, Company, Backend, 2; `wJalrXUtn` -> w, Jalr, X, Utn. */
const WORD = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g;
const MAX_PATH_SEGMENT = 31;
/** Random parts this short (a mkdtemp suffix such as `app-Ab3xYz`) cannot hold a credential. */
const MAX_SHORT_PART = 8;

/**
 * Whether a value is a file path rather than a token: absolute or explicitly relative (`/`, `./`,
 * `../`, `~/`) with at least two segments whose `-`/`_`/`.`-separated parts are each short or made
 * of words averaging 3 or more characters; or a bare relative path of three or more lowercase
 * segments. A segment longer than 31 characters, or one that is itself a known token shape
 * (a `ghp_...` file name), makes it not a path.
 */
export function looksLikePath(value: string): boolean {
  const prefix = PATH_PREFIX.exec(value)?.[0];
  const segments = value.slice(prefix?.length ?? 0).split('/').filter((s) => s !== '');
  if (segments.some((s) => s.length > MAX_PATH_SEGMENT || LOOKS_SECRET.some((re) => re.test(s)))) return false;
  if (prefix === undefined) return segments.length >= 3 && segments.every((s) => LOWERCASE_SEGMENT.test(s));
  return (
    segments.length >= 2 &&
    segments.every((s) => (s.length <= 4 || !s.includes('+')) && s.split(/[-_.]/).every((part) => part.length <= MAX_SHORT_PART || averageWordLength(part) >= 3))
  );
}

function averageWordLength(segment: string): number {
  const words = segment.match(WORD);
  if (!words) return 0;
  return words.reduce((sum, w) => sum + w.length, 0) / words.length;
}

/** Removes the password (and user) from URLs inside a string. */
export function redactUrlCredentials(value: string): string {
  // The lookbehind starts a scheme only where a run of scheme characters starts: without it, a long
  // run with no `://` (`a.a.a...`) is rescanned from every position, quadratic in its length.
  return value.replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`);
}

/** Secret-named flags that take no value (`--password-stdin`, `--no-auth`): the next argument is not a secret. */
function isBooleanSecretFlag(name: string): boolean {
  return /-stdin$/i.test(name) || /^--no-/i.test(name);
}

/** `$NAME` or `${NAME}`: a reference to a variable, not a secret itself (only meaningful in shell scripts). */
const VARIABLE_REFERENCE = /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/;

/** A header-like `Name: value` whose name is secret (`Authorization: Bearer x`, git's `http.extraHeader=Authorization: ...`). */
const SECRET_HEADER = /((?:^|[\s=])[\w.-]*(?:auth|token|secret|cookie|session|api[-_]?key|password)[\w.-]*\s*:\s*)\S.*$/is;
/** `"password": "x"` in JSON text (e.g. a request body passed to curl -d). */
const SECRET_JSON = /("([^"\\]*)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
/** `?token=x` / `&password=y` in URLs. */
// The name stops at the next separator: otherwise every `;` of a long `a;a;a...` rescans to the end.
const SECRET_QUERY = /([?&;])([^=&#;?\s]+)=([^&#;\s]*)/g;

/** `host=db password=x` (a libpq conninfo, psql's argument): secret pairs among space-separated ones. */
const SPACED_PAIR = /(^|\s)([A-Za-z_][\w.-]*)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']\S*)/g;
/** `a=1,db.password=x` (helm's --set, a list of pairs): split on the commas that start a pair. */
const COMMA_PAIR_LIST = /^[A-Za-z_][\w.[\]-]*=[^,]*(,[A-Za-z_][\w.[\]-]*=[^,]*)+$/s;
/** `//registry/:_authToken=x` (npm config keys scoped to a registry): the name after the last `:`. */
const NPMRC_PAIR = /^(\/\/[^=\s]*:)([\w-]+)=(.*)$/s;
/** npm's credential keys (`always-auth`, `email` are not). */
const NPMRC_SECRET = /^_(auth|authToken|password)$/i;

/** Redacts a single value that is not a flag: secret KEY=value, credential-looking values, URL and header secrets. */
function redactScalar(value: string, keepVariableReferences: boolean): string {
  if (keepVariableReferences && VARIABLE_REFERENCE.test(value)) return value;
  // Before the KEY=value split: base64 padding (`...fQ==`) would read as a key and a value.
  if (looksLikeSecret(value)) return REDACTED;
  if (COMMA_PAIR_LIST.test(value)) return value.split(',').map((pair) => redactScalar(pair, keepVariableReferences)).join(',');
  const npm = NPMRC_PAIR.exec(value);
  if (npm) return NPMRC_SECRET.test(npm[2]) || looksLikeSecret(npm[3]) ? `${npm[1]}${npm[2]}=${REDACTED}` : value;
  const kv = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(value);
  if (kv) {
    if (isSecretName(kv[1])) return keepVariableReferences && VARIABLE_REFERENCE.test(kv[2]) ? value : `${kv[1]}=${REDACTED}`;
    return `${kv[1]}=${redactPlain(kv[2])}`;
  }
  return redactPlain(value);
}

function redactPlain(value: string): string {
  if (looksLikeSecret(value)) return REDACTED;
  let out = redactUrlCredentials(value);
  // Names as the server decodes them: `?%74oken=x` is `?token=x`.
  out = out.replace(SECRET_QUERY, (all, sep: string, name: string) => (isSecretName(decodeQueryName(name)) || SECRET_QUERY_NAME.test(decodeQueryName(name)) ? `${sep}${name}=${REDACTED}` : all));
  out = out.replace(SPACED_PAIR, (all, lead: string, name: string) => (isSecretName(name) ? `${lead}${name}=${REDACTED}` : all));
  out = out.replace(JWT_IN_TEXT, REDACTED);
  out = out.replace(SECRET_JSON, (all, head: string, name: string) => (isSecretName(name) ? `${head}"${REDACTED}"` : all));
  out = out.replace(SECRET_HEADER, `$1${REDACTED}`);
  return out;
}

/** A one-letter flag with its value attached (`-uuser:pw` for `-u`), for the program's secret flags and `attachedFlags`. */
function attachedSecretFlag(arg: string, extraValueFlags: readonly string[], attachedFlags: readonly string[]): string | undefined {
  if (!/^-[A-Za-z][^=]/.test(arg)) return undefined;
  const flag = arg.slice(0, 2);
  return extraValueFlags.includes(flag) || attachedFlags.includes(flag) ? flag : undefined;
}

/**
 * redactArgs, optionally keeping `$VAR` references (shell scripts): shared with command-line.ts.
 * `attachedFlags`: one-letter flags whose value is secret only when attached (`mysql -pPW`; a lone
 * `-p` prompts, and the next argument is the database).
 */
export function redactArgList(args: readonly string[], extraValueFlags: readonly string[], keepVariableReferences: boolean, attachedFlags: readonly string[] = []): string[] {
  const out: string[] = [];
  let redactNext = false;
  for (const arg of args) {
    if (redactNext) {
      out.push(keepVariableReferences && VARIABLE_REFERENCE.test(arg) ? arg : REDACTED);
      redactNext = false;
      continue;
    }
    const attached = attachedSecretFlag(arg, extraValueFlags, attachedFlags);
    if (attached) {
      out.push(keepVariableReferences && VARIABLE_REFERENCE.test(arg.slice(2)) ? arg : `${attached}${REDACTED}`);
      continue;
    }
    const flag = /^(-{1,2}[A-Za-z0-9][\w.-]*)(=(.*))?$/s.exec(arg);
    if (flag) {
      const [, name, hasValue, value] = flag;
      const secret = isSecretName(name) || extraValueFlags.includes(name);
      if (hasValue) {
        if (secret) out.push(keepVariableReferences && VARIABLE_REFERENCE.test(value) ? arg : `${name}=${REDACTED}`);
        else out.push(`${name}=${redactScalar(value, keepVariableReferences)}`);
      } else {
        out.push(arg);
        redactNext = secret && !isBooleanSecretFlag(name);
      }
      continue;
    }
    out.push(redactScalar(arg, keepVariableReferences));
  }
  return out;
}

/**
 * Redacts arguments: values of secret-named flags (`--token x`, `--token=x`), secret `KEY=value`
 * pairs (also inside a flag's value: `--env=API_TOKEN=x`), credential-looking values, URL
 * credentials and secret query parameters, and secret headers (`Authorization: Bearer x`).
 * `extraValueFlags` adds flags whose next argument is secret for a known program (e.g. `-c` of the
 * KubeVirt runner; see {@link secretFlagsFor}).
 */
export function redactArgs(args: readonly string[], extraValueFlags: readonly string[] = [], attachedFlags: readonly string[] = []): string[] {
  return redactArgList(args, extraValueFlags, false, attachedFlags);
}
