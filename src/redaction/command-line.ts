// Command lines: program-specific secret flags, shell scripts (tokenizer, simple commands), whole commands, size caps.
import { redactArgList, redactArgs } from './secrets';

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
