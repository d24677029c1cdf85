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

/** One-letter flags whose attached value is a secret for this program (`mysql -pPW`), where a lone flag takes none. */
export function attachedSecretFlagsFor(file: string): string[] {
  return /^(mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mariadb|mariadb-dump|mariadb-admin)$/i.test(executableBaseName(file)) ? ['-p'] : [];
}

/**
 * Programs that run another command given as their arguments: their own options (those that take a
 * value: `-n` of nice), then, for timeout, the duration; `NAME=value` words for env and sudo.
 */
const WRAPPERS: Record<string, { valueOptions: readonly string[]; positional?: number; assignments?: boolean }> = {
  timeout: { valueOptions: ['-s', '--signal', '-k', '--kill-after'], positional: 1 },
  nice: { valueOptions: ['-n', '--adjustment'] },
  sudo: { valueOptions: ['-u', '--user', '-g', '--group', '-h', '--host', '-p', '--prompt', '-C', '--close-from', '-D', '--chdir', '-r', '--role', '-t', '--type', '-T', '--command-timeout', '-U', '--other-user', '-R', '--chroot'], assignments: true },
  doas: { valueOptions: ['-u', '-C'] },
  env: { valueOptions: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'], assignments: true },
  nohup: { valueOptions: [] },
  time: { valueOptions: ['-f', '--format', '-o', '--output'] },
  command: { valueOptions: [] },
  exec: { valueOptions: ['-a'] },
  stdbuf: { valueOptions: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  ionice: { valueOptions: ['-c', '--class', '-n', '--classdata', '-p', '--pid', '-P', '--pgid', '-u', '--uid'] },
  setsid: { valueOptions: [] },
  chrt: { valueOptions: [], positional: 1 },
  taskset: { valueOptions: [], positional: 1 },
};

/**
 * The index in `argv` (the program first) of the command a wrapper runs (`timeout 5 curl -u x` -> 2,
 * `sudo -u bob env A=b make` -> 5), following wrappers of wrappers; 0 when argv[0] is no wrapper, -1
 * when the wrapped command is missing.
 */
export function wrappedCommandIndex(argv: readonly string[]): number {
  let at = 0;
  for (let depth = 0; depth < 8 && at < argv.length; depth++) {
    const wrapper = WRAPPERS[executableBaseName(argv[at])];
    if (!wrapper) return at;
    let i = at + 1;
    let positional = wrapper.positional ?? 0;
    while (i < argv.length) {
      const a = argv[i];
      if (a === '--') {
        i++;
        break;
      }
      if (a.startsWith('-') && a.length > 1) {
        i += wrapper.valueOptions.includes(a) ? 2 : 1;
        continue;
      }
      if (wrapper.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
        i++;
        continue;
      }
      break;
    }
    while (positional-- > 0 && i < argv.length) i++;
    if (i >= argv.length) return -1;
    at = i;
  }
  return at;
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

/** A program's words in a script (the program first): by its own secret flags, node's by its script's. */
function redactProgramWords(program: string, words: readonly string[], extraValueFlags: readonly string[]): string[] {
  if (words.length === 0) return [];
  if (isNode(program)) {
    const at = nodeScriptIndex(words.slice(1));
    if (at >= 0) {
      const script = words[1 + at];
      return [...redactArgList(words.slice(0, 2 + at), extraValueFlags, true), ...redactArgList(words.slice(2 + at), [...extraValueFlags, ...secretFlagsFor(script)], true)];
    }
  }
  return redactArgList(words, [...extraValueFlags, ...secretFlagsFor(program)], true, attachedSecretFlagsFor(program));
}

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
    const values = words.map((w) => w.value);
    // The command a wrapper runs (`timeout 5 curl -u x`, `sudo -u bob env A=b curl`) is the program.
    const wrapped = first < values.length ? wrappedCommandIndex(values.slice(first)) : -1;
    if (wrapped > 0) first += wrapped;
    const program = wrapped >= 0 ? (values[first] ?? '') : '';
    const redacted = [...redactArgList(values.slice(0, first), extraValueFlags, true), ...redactProgramWords(program, values.slice(first), extraValueFlags)];
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

/** Whether `file` is Node.js itself (`node`, `/usr/bin/nodejs`, `node22`, `node.exe`). */
export function isNode(file: string): boolean {
  return /^node(js)?(-?\d+(\.\d+)*)?$/i.test(executableBaseName(file));
}

/** Node options whose value may be the next argument (`--require x`; `--require=x` works for all). */
const NODE_VALUE_OPTIONS = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type', '--env-file', '--env-file-if-exists',
  '--title', '--inspect-port', '--debug-port', '--redirect-warnings', '--openssl-config', '--icu-data-dir', '--diagnostic-dir', '--report-dir',
  '--report-directory', '--report-filename', '--report-signal', '--cpu-prof-dir', '--cpu-prof-name', '--heap-prof-dir', '--heap-prof-name',
  '--secure-heap', '--secure-heap-min', '--max-http-header-size', '--stack-trace-limit', '--unhandled-rejections', '--dns-result-order',
  '--experimental-config-file', '--watch-path', '--test-reporter', '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern',
  '--test-concurrency', '--test-shard', '--test-timeout', '--localstorage-file', '--disable-warning', '--run',
]);
/** Node options after which there is no script: the code or the task is the option's value. */
const NODE_CODE_OPTIONS = new Set(['-e', '--eval', '-p', '--print', '-pe', '--run']);

/**
 * Where node's own options end in `args` (the arguments after the node executable): the index of the
 * script (`node --require x runner.js -c y` -> 2), or -1 when there is none (`node -e code`, the REPL).
 * Options are `-x`/`--name`, with a value in the next argument for those that take one; `--` ends them.
 */
export function nodeScriptIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return i + 1 < args.length ? i + 1 : -1;
    if (NODE_CODE_OPTIONS.has(a) || /^--(eval|print|run)=/.test(a)) return -1;
    if (a === '-' || !a.startsWith('-')) return i;
    if (NODE_VALUE_OPTIONS.has(a)) i++;
  }
  return -1;
}

/**
 * A node command line (the arguments after the executable): node's options by the common rules, the
 * script kept, and the script's arguments redacted with the script's own secret flags
 * ({@link secretFlagsFor}: the runner's `-c`), as if the script were the command.
 */
export function redactNodeArgs(args: readonly string[], extraValueFlags: readonly string[] = []): string[] {
  const at = nodeScriptIndex(args);
  if (at < 0) return redactArgs(args, extraValueFlags);
  const options = args.slice(0, at);
  // `--require x`: the value is a module, and `--`: the end of the options; both kept as they are.
  const head = options[options.length - 1] === '--' ? [...redactArgs(options.slice(0, -1), extraValueFlags), '--'] : redactArgs(options, extraValueFlags);
  return [...head, args[at], ...redactArgs(args.slice(at + 1), [...extraValueFlags, ...secretFlagsFor(args[at])])];
}

/**
 * Redacts a whole command: `file` is the executable, `args` the arguments after it. Node gets
 * {@link redactNodeArgs} (its script's arguments by the script's rules); shells get
 * their `-c` script redacted inside ({@link redactShellScript}); other programs get
 * {@link redactArgs} with their program-specific secret flags ({@link secretFlagsFor}) and `extraValueFlags`.
 */
export function redactCommand(file: string, args: readonly string[], extraValueFlags: readonly string[] = []): string[] {
  if (isNode(file)) return redactNodeArgs(args, extraValueFlags);
  const wrapped = wrappedCommandIndex([file, ...args]);
  if (wrapped > 0) {
    // `timeout 5 curl -u x`: the wrapper's own arguments by the common rules, then the command it runs.
    const inner = wrapped - 1;
    return [...redactArgs(args.slice(0, inner), extraValueFlags), args[inner], ...redactCommand(args[inner], args.slice(inner + 1), extraValueFlags)];
  }
  const flags = [...extraValueFlags, ...secretFlagsFor(file)];
  if (!isShell(file)) return redactArgs(args, flags, attachedSecretFlagsFor(file));
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
