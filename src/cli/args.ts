// A small command-line parser: --name value, --name=value, boolean flags, positionals, and `--` ending the options.
import { parseKeyValueList } from '../config/key-values';

export interface OptionSpec {
  [name: string]: { type: 'string' | 'boolean'; short?: string };
}

export interface ParsedArgs {
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** Everything after the options: after `--`, or from the first positional when `stopAtPositional` is set. */
  rest: string[];
}

/** A mistake in the command line; the dispatcher prints it with the usage and exits 2. */
export class UsageError extends Error {}

/**
 * Parses `argv` against `spec`. With `stopAtPositional`, the first positional and all after it are
 * `rest` untouched (for `run`, whose command has options of its own).
 */
export function parseArgs(argv: readonly string[], spec: OptionSpec, stopAtPositional = false): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(spec).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return { options, positionals, rest: argv.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtPositional) return { options, positionals, rest: argv.slice(i) };
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = eq > 0 ? arg.slice(0, eq) : arg;
    const name = rawName.startsWith('--') ? rawName.slice(2) : shorts.get(rawName.slice(1));
    const s = name === undefined ? undefined : spec[name];
    if (name === undefined || s === undefined) throw new UsageError(`unknown option ${rawName}`);
    if (s.type === 'boolean') {
      if (eq > 0) throw new UsageError(`${rawName} takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined) throw new UsageError(`${rawName} needs a value`);
    options[name] = value;
  }
  return { options, positionals, rest: [] };
}

export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.options[name];
  return typeof value === 'string' ? value : undefined;
}

/** `key=value,...` with percent-decoded parts, as OTEL_EXPORTER_OTLP_HEADERS. */
export function parseKeyValues(value: string, what: string): Record<string, string> {
  const list = parseKeyValueList(value);
  if (list.malformed.length > 0) throw new UsageError(`${what}: "${list.malformed[0].slice(0, 20)}" is not key=value`);
  if (list.badEncoding.length > 0) throw new UsageError(`${what}: bad percent-encoding in "${list.badEncoding[0].slice(0, list.badEncoding[0].indexOf('='))}"`);
  return list.values;
}
