// Redaction of secrets in values the agent records: command-line arguments, URLs, key=value pairs.

import { decodeQueryName } from './query-name';

export const REDACTED = '<redacted>';

/** Flag or key names whose value is a secret. */
const SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|jit[-_]?config|session|cookie|bearer|signature)/i;
/** Values that look like credentials on their own, whatever their shape: JWTs, PEM keys, well-known token prefixes. */
const LOOKS_SECRET = [
  /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, // JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^(gh[pousr]|github_pat|glpat|xox[abprs]|AKIA|sk-)[A-Za-z0-9_-]{8,}/, // well-known token prefixes
];
/** A long base64 / hex / url-safe token; since `/` is in base64's alphabet, long paths have this shape too. */
const LONG_TOKEN = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

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

/** Redacts a single value that is not a flag: secret KEY=value, credential-looking values, URL and header secrets. */
function redactScalar(value: string, keepVariableReferences: boolean): string {
  if (keepVariableReferences && VARIABLE_REFERENCE.test(value)) return value;
  // Before the KEY=value split: base64 padding (`...fQ==`) would read as a key and a value.
  if (looksLikeSecret(value)) return REDACTED;
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
  out = out.replace(SECRET_QUERY, (all, sep: string, name: string) => (isSecretName(decodeQueryName(name)) ? `${sep}${name}=${REDACTED}` : all));
  out = out.replace(SECRET_JSON, (all, head: string, name: string) => (isSecretName(name) ? `${head}"${REDACTED}"` : all));
  out = out.replace(SECRET_HEADER, `$1${REDACTED}`);
  return out;
}

function redactArgList(args: readonly string[], extraValueFlags: readonly string[], keepVariableReferences: boolean): string[] {
  const out: string[] = [];
  let redactNext = false;
  for (const arg of args) {
    if (redactNext) {
      out.push(keepVariableReferences && VARIABLE_REFERENCE.test(arg) ? arg : REDACTED);
      redactNext = false;
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
export function redactArgs(args: readonly string[], extraValueFlags: readonly string[] = []): string[] {
  return redactArgList(args, extraValueFlags, false);
}

// ---------------------------------------------------------------------------------------------
// Commands: program-specific secret flags, shell scripts, size caps.

/** The base name of an executable path, without a Windows extension: `/usr/bin/kubectl` -> `kubectl`. */
export function executableBaseName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(exe|cmd|bat|com)$/i, '');
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish']);
/** Whether `file` (a path or name) is a POSIX-like shell whose `-c` argument is a script. */
export function isShell(file: string): boolean {
  return SHELLS.has(executableBaseName(file).toLowerCase());
}

/** Programs whose `-c` is their configuration, which carries credentials (the KubeVirt actions runner, GitHub's runner scripts). */
const RUNNER = /^(kar|kubevirt-actions-runner|runner|run|Runner\.Listener)(\.(m?js|cjs|sh))?$/i;

/** Flags whose value is a secret for this particular program, beyond the secret-named ones. */
export function secretFlagsFor(file: string): string[] {
  const name = executableBaseName(file);
  if (RUNNER.test(name)) return ['-c'];
  switch (name.toLowerCase()) {
    case 'config.sh':
    case 'config':
      return ['--pat', '--url-token'];
    case 'curl':
      return ['-u', '--user', '-U', '--proxy-user', '--oauth2-bearer'];
    default:
      return [];
  }
}

/** A shell word or operator with its position in the script. */
interface ShellToken {
  start: number;
  end: number;
  /** The word after quote removal (expansions kept as written); the operator itself for operators. */
  value: string;
  operator: boolean;
}

interface ScannedScript {
  tokens: ShellToken[];
  /** False when the script has command substitution, an unterminated quote or the like. */
  plain: boolean;
}

const OPERATORS = ['&&', '||', ';;', '|&', '>>', '<<', '>&', '<&', '&', '|', ';', '(', ')', '<', '>', '\n'];
const REDIRECTIONS = new Set(['>>', '<<', '>&', '<&', '<', '>']);

/** A small POSIX shell tokenizer: enough to find words, operators and quoted strings. */
function scanShell(script: string): ScannedScript {
  const tokens: ShellToken[] = [];
  let plain = true;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && script[i] !== '\n') i++;
      continue;
    }
    const op = OPERATORS.find((o) => script.startsWith(o, i));
    if (op) {
      tokens.push({ start: i, end: i + op.length, value: op === '\n' ? ';' : op, operator: true });
      i += op.length;
      continue;
    }
    const start = i;
    let value = '';
    while (i < n) {
      const ch = script[i];
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ';&|()<>'.includes(ch)) break;
      if (ch === '\\') {
        if (i + 1 < n && script[i + 1] !== '\n') value += script[i + 1];
        i += 2;
      } else if (ch === "'") {
        const close = script.indexOf("'", i + 1);
        if (close < 0) {
          plain = false;
          value += script.slice(i + 1);
          i = n;
        } else {
          value += script.slice(i + 1, close);
          i = close + 1;
        }
      } else if (ch === '"') {
        i++;
        while (i < n && script[i] !== '"') {
          if (script[i] === '\\' && i + 1 < n && '"\\$`\n'.includes(script[i + 1])) {
            value += script[i + 1];
            i += 2;
            continue;
          }
          if (script[i] === '`' || script.startsWith('$(', i)) plain = false;
          value += script[i++];
        }
        if (i >= n) plain = false;
        i++;
      } else {
        if (ch === '`' || script.startsWith('$(', i)) plain = false;
        value += ch;
        i++;
      }
    }
    tokens.push({ start, end: Math.min(i, n), value, operator: false });
  }
  return { tokens, plain };
}

const SHELL_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'function', '{', '}', '!', '[[', ']]']);

/**
 * The argv of a script that is one simple command (`make -C SPECS/curl`, `FOO=1 kubectl get pods 2>&1`):
 * leading assignments, `exec` and redirections are dropped. Undefined for pipelines, lists,
 * compound commands and command substitution.
 */
export function simpleCommandOf(script: string): string[] | undefined {
  const { tokens, plain } = scanShell(script);
  if (!plain) return undefined;
  const argv: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.operator) {
      if (!REDIRECTIONS.has(t.value)) {
        if (t.value === ';' && tokens.slice(i + 1).every((x) => x.operator && x.value === ';')) break; // trailing newline or ';'
        return undefined;
      }
      i++; // the redirection's target
      continue;
    }
    // `2>` / `2>&1`: a file-descriptor number glued to a redirection.
    if (/^\d+$/.test(t.value) && tokens[i + 1]?.operator && REDIRECTIONS.has(tokens[i + 1].value) && tokens[i + 1].start === t.end) continue;
    if (argv.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(t.value)) continue;
    if (argv.length === 0 && t.value === 'exec') continue;
    argv.push(t.value);
  }
  if (argv.length === 0 || SHELL_KEYWORDS.has(argv[0])) return undefined;
  return argv;
}

/** Index of the script argument of a shell invocation (`sh -c script`, `bash -ec script`), or -1. */
export function shellScriptIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return -1;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && !a.startsWith('--')) return i + 1 < args.length ? i + 1 : -1;
    if (a === '-o' || a === '+o' || a === '-O' || a === '+O') {
      i++; // option name
      continue;
    }
    if (!/^[-+]/.test(a)) return -1; // a script file: no -c
  }
  return -1;
}

const quoteForShell = (s: string) => (/^[\w@%+=:,./<>-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Redacts secrets inside a shell script while keeping it readable: each simple command's words go
 * through the same rules as argv (`--token xyz`, `PASSWORD=...`, `Authorization: ...`, URL
 * credentials, program-specific flags such as the runner's `-c`), and scripts passed to nested
 * shells (`bash -c '...'`) are redacted in turn. Variable references (`--token "$TOKEN"`) are kept.
 */
export function redactShellScript(script: string, extraValueFlags: readonly string[] = [], depth = 0): string {
  const { tokens } = scanShell(script);
  const replacements: { start: number; end: number; text: string }[] = [];
  let words: ShellToken[] = [];
  const flush = () => {
    if (words.length === 0) return;
    let first = 0;
    while (first < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[first].value)) first++;
    while (first < words.length && ['exec', 'sudo', 'env', 'nohup', 'time', 'command'].includes(words[first].value)) first++;
    const program = words[first]?.value ?? '';
    const values = words.map((w) => w.value);
    const flags = [...extraValueFlags, ...secretFlagsFor(program)];
    const redacted = redactArgList(values, flags, true);
    // Nested shell: redact its script recursively instead of as one opaque value.
    if (program && isShell(program) && depth < 3) {
      const scriptAt = shellScriptIndex(values.slice(first + 1));
      if (scriptAt >= 0) {
        const at = first + 1 + scriptAt;
        redacted[at] = redactShellScript(values[at], extraValueFlags, depth + 1);
      }
    }
    words.forEach((w, k) => {
      if (redacted[k] !== w.value) replacements.push({ start: w.start, end: w.end, text: quoteForShell(redacted[k]) });
    });
    words = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.operator) {
      if (REDIRECTIONS.has(t.value)) {
        i++; // a redirection target is a file name, not an argument
        continue;
      }
      flush();
      continue;
    }
    words.push(t);
  }
  flush();
  // One pass over the script (not a slice per replacement: a long script full of secrets would be quadratic).
  const parts: string[] = [];
  let at = 0;
  for (const r of replacements.sort((a, b) => a.start - b.start)) {
    parts.push(script.slice(at, r.start), r.text);
    at = r.end;
  }
  parts.push(script.slice(at));
  return parts.join('');
}

/**
 * Redacts a whole command: `file` is the executable, `args` the arguments after it. Shells get
 * their `-c` script redacted inside ({@link redactShellScript}); other programs get
 * {@link redactArgs} with their program-specific secret flags ({@link secretFlagsFor}) and `extraValueFlags`.
 */
export function redactCommand(file: string, args: readonly string[], extraValueFlags: readonly string[] = []): string[] {
  const flags = [...extraValueFlags, ...secretFlagsFor(file)];
  if (!isShell(file)) return redactArgs(args, flags);
  const at = shellScriptIndex(args);
  if (at < 0) return redactArgs(args, flags);
  const out = redactArgs(args.slice(0, at), flags);
  out.push(redactShellScript(args[at], extraValueFlags));
  out.push(...redactArgs(args.slice(at + 1), flags));
  return out;
}

/** The default cap on a recorded command line (process.command_args), in UTF-8 bytes. */
export const MAX_COMMAND_BYTES = 4096;

/**
 * Caps arguments to `maxBytes` UTF-8 bytes in total (counting one separator between arguments):
 * the argument that crosses the limit is cut at a character boundary, and later ones are dropped.
 */
export function capArgs(args: readonly string[], maxBytes: number): { args: string[]; truncated: boolean } {
  const out: string[] = [];
  let used = 0;
  for (const arg of args) {
    const sep = out.length > 0 ? 1 : 0;
    const size = Buffer.byteLength(arg);
    if (used + sep + size <= maxBytes) {
      out.push(arg);
      used += sep + size;
      continue;
    }
    const room = maxBytes - used - sep;
    if (room > 0) {
      let cut = '';
      let bytes = 0;
      for (const ch of arg) {
        const b = Buffer.byteLength(ch);
        if (bytes + b > room) break;
        cut += ch;
        bytes += b;
      }
      out.push(cut);
    }
    return { args: out, truncated: true };
  }
  return { args: out, truncated: false };
}
