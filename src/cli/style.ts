// ANSI styling for terminal output: colors only on a TTY (NO_COLOR turns them off, FORCE_COLOR on).

export interface Style {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  blue(s: string): string;
}

export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

export function style(stream: { isTTY?: boolean } | boolean): Style {
  const enabled = typeof stream === 'boolean' ? stream : colorsFor(stream);
  const sgr = (open: number, close: number) => (s: string) => (enabled && s !== '' ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
  };
}

// C0 and C1 controls and DEL (ESC starts OSC 52 clipboard writes, title changes, screen clears),
// line and paragraph separators, and bidi overrides that reorder what is shown.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a trace file, safe to write to a terminal: every control character is shown escaped
 * (`\x1b`, `\u202e`) instead of being obeyed. Apply before styling: the styles' own SGR sequences
 * are the only escapes that reach the terminal.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A message line for stderr: escaped as terminalSafe, ended by one newline. */
export function terminalLine(text: string): string {
  return `${terminalSafe(text)}\n`;
}
