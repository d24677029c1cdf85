// Reads variables from an environment snapshot: trimmed, typed, with one warning per bad value.
import { parseKeyValueList } from './key-values';
import type { SettingSource } from './types';

export type Env = Readonly<Record<string, string | undefined>>;

/** Longest value we show in a warning; variables can be huge or binary. */
const SHOWN_VALUE_MAX = 80;
/** How many bad items of one variable a warning names (the rest are counted). */
const SHOWN_ITEMS = 3;

export function showValue(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > SHOWN_VALUE_MAX ? `${printable.slice(0, SHOWN_VALUE_MAX)}...` : printable;
}

export class EnvReader {
  readonly warnings: string[] = [];
  readonly sources: Record<string, SettingSource> = {};
  /** Variables whose value was rejected (their default applies): the doctor shows them as such. */
  readonly rejected = new Set<string>();

  constructor(private readonly env: Env) {}

  /** The trimmed value, or undefined when unset, empty or blank (the spec treats empty as unset). */
  string(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined) return undefined;
    const value = raw.trim();
    return value === '' ? undefined : value;
  }

  has(name: string): boolean {
    return this.string(name) !== undefined;
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /**
   * One warning for the bad items of a list-valued variable, however many: the count and the first
   * few, so 50,000 bad entries cost one line, not 50,000. `problem` is the one-item wording
   * (`has a malformed entry`), `plural` the many-items one (`has 7 malformed entries`, from the count).
   */
  warnItems(name: string, items: readonly string[], problem: string, plural: (count: number) => string, consequence: string): void {
    if (items.length === 0) return;
    if (items.length === 1) {
      this.warn(`${name} ${problem} "${showValue(items[0])}"${consequence}`);
      return;
    }
    const shown = items.slice(0, SHOWN_ITEMS).map((i) => `"${showValue(i)}"`).join(', ');
    this.warn(`${name} ${plural(items.length)} (${items.length > SHOWN_ITEMS ? `the first ${SHOWN_ITEMS}: ` : ''}${shown})${consequence.replace(/\bit is\b/, 'they are')}`);
  }

  /** {@link invalid} for the bad items of a list: one warning, the first few named. */
  invalidItems(name: string, values: readonly string[], expected: string, fallback: string): void {
    if (values.length === 1) this.invalid(name, values[0], expected, fallback);
    else this.warnItems(name, values, '', (n) => `has ${n} values that are not ${expected}`, `; using ${fallback} for them`);
  }

  invalid(name: string, value: string, expected: string, fallback: string): void {
    this.rejected.add(name);
    this.warn(`${name}="${showValue(value)}" is not ${expected}; using ${fallback}`);
  }

  note(setting: string, value: string, from: string): void {
    this.sources[setting] = { value, from };
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    this.invalid(name, value, 'true or false', 'the default');
    return undefined;
  }

  /** A non-negative integer within [min, max]; bad values warn and give undefined. */
  integer(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = /^[+]?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.invalid(name, value, `an integer from ${min} to ${max}`, 'the default');
      return undefined;
    }
    return n;
  }

  /** A comma-separated list, lower-cased, blanks dropped. */
  list(name: string): string[] | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    return value
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
  }

  /** `k1=v1,k2=v2` with percent-decoded parts (W3C baggage style, as OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES). */
  keyValues(name: string): Record<string, string> {
    const value = this.string(name);
    if (value === undefined) return {};
    const list = parseKeyValueList(value);
    const malformed = [...list.malformed, ...list.badEncoding].map(redactEntry);
    this.warnItems(name, malformed, 'has a malformed entry', (n) => `has ${n} malformed entries`, ' (expected key=value); it is ignored');
    return list.values;
  }

  /** An absolute http(s) URL. */
  url(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!isHttpUrl(value)) {
      this.invalid(name, stripCredentials(value), 'an http:// or https:// URL', 'the default');
      return undefined;
    }
    return value;
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Removes user:password@ from a URL-looking string, for messages. */
export function stripCredentials(value: string): string {
  return value.replace(/\/\/[^/@\s]*@/, '//');
}


/** Shows the key of a bad header entry but never its value (it may be a token). */
function redactEntry(entry: string): string {
  const eq = entry.indexOf('=');
  return eq >= 0 ? `${entry.slice(0, eq)}=<redacted>` : entry.length > 12 ? `${entry.slice(0, 4)}<redacted>` : entry;
}
