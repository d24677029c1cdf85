// Declarative rules that turn a child process's command line into a span name and attributes.
//
// {
//   "rules": [
//     {
//       "match": "^make -C SPECS/(?<name>[^/\\s]+)",
//       "name": "scheduler.build.LocalBuild",
//       "attributes": { "package.name": "${name}" },
//       "successAttribute": "build.success",
//       "errorAttribute": "build.error"
//     }
//   ]
// }
//
// `match` is a JavaScript regular expression tested against the command line: the executable's base
// name and its redacted arguments joined by single spaces (for `sh -c '<one simple command>'`, that
// command's words). The first rule that matches wins. See README.md in this directory.
import { readSmallRegularFile } from '../../runtime/bounded-fs';

/** A rule as written in the JSON file. */
export interface CommandRuleSpec {
  /** Regular expression (JavaScript syntax) tested against the command line. */
  match: string;
  /** Regular expression flags: any of `i`, `m`, `s`, `u`. */
  flags?: string;
  /** Span name template: `${group}` (named group), `$1` (numbered group), `$$` (a dollar sign). */
  name: string;
  /** Attribute name -> template (string) or literal number/boolean. */
  attributes?: Record<string, string | number | boolean>;
  /** Boolean attribute set when the process ends: true exactly when it exited with code 0. */
  successAttribute?: string;
  /** String attribute set only on failure: `exit code 2`, `signal SIGKILL`, `spawn error ENOENT`. */
  errorAttribute?: string;
  /** Boolean attributes from the exit code: true when the code is one of those listed, e.g. `{ "license.has_errors": [2] }`. */
  exitCodeAttributes?: Record<string, number[]>;
  /** Exit codes that do not make the span an error (default: only 0), e.g. `[0, 1]` for "warnings". */
  okExitCodes?: number[];
}

export interface CompiledRule {
  /** Position in the rules array, for messages. */
  readonly index: number;
  readonly regex: RegExp;
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly successAttribute?: string;
  readonly errorAttribute?: string;
  readonly exitCodeAttributes?: Readonly<Record<string, readonly number[]>>;
  readonly okExitCodes?: readonly number[];
}

export interface RuleMatch {
  name: string;
  attributes: Record<string, string | number | boolean>;
  successAttribute?: string;
  errorAttribute?: string;
  exitCodeAttributes?: Readonly<Record<string, readonly number[]>>;
  okExitCodes?: readonly number[];
}

const KNOWN_KEYS = new Set(['match', 'flags', 'name', 'attributes', 'successAttribute', 'errorAttribute', 'exitCodeAttributes', 'okExitCodes', 'description']);
const isCodeList = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => Number.isInteger(n));
const TEMPLATE_REF = /\$(?:\{([A-Za-z_$][\w$]*)\}|(\d{1,2})|\$)/g;

function describeRule(index: number, raw: unknown): string {
  const name = raw !== null && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? ` ("${(raw as { name: string }).name}")` : '';
  return `rules[${index}]${name}`;
}

/** Named and numbered groups a regular expression defines. */
function groupsOf(regex: RegExp): { names: Set<string>; count: number } {
  const probe = new RegExp(`(?:${regex.source})|`, regex.flags).exec('')!;
  return { names: new Set(Object.keys(probe.groups ?? {})), count: probe.length - 1 };
}

/** The template's group references that the regex does not define, or undefined when all exist. */
function missingGroups(template: string, groups: { names: Set<string>; count: number }): string | undefined {
  const missing: string[] = [];
  for (const m of template.matchAll(TEMPLATE_REF)) {
    if (m[1] !== undefined && !groups.names.has(m[1])) missing.push(`\${${m[1]}}`);
    if (m[2] !== undefined && Number(m[2]) > groups.count) missing.push(`$${m[2]}`);
  }
  return missing.length > 0 ? missing.join(', ') : undefined;
}

function compileOne(raw: unknown, index: number): CompiledRule | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'is not an object';
  const r = raw as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) return `has unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${[...KNOWN_KEYS].join(', ')})`;
  if (typeof r.match !== 'string' || r.match === '') return '"match" must be a non-empty string (a regular expression)';
  if (typeof r.name !== 'string' || r.name.trim() === '') return '"name" must be a non-empty string';
  if (r.flags !== undefined && (typeof r.flags !== 'string' || !/^[imsu]*$/.test(r.flags))) return '"flags" must be a string of i, m, s, u';
  let regex: RegExp;
  try {
    regex = new RegExp(r.match, r.flags as string | undefined);
  } catch (err) {
    return `"match" is not a valid regular expression: ${(err as Error).message}`;
  }
  const groups = groupsOf(regex);
  const missingInName = missingGroups(r.name, groups);
  if (missingInName) return `"name" refers to group(s) ${missingInName} that "match" does not define`;
  const attributes: Record<string, string | number | boolean> = {};
  if (r.attributes !== undefined) {
    if (r.attributes === null || typeof r.attributes !== 'object' || Array.isArray(r.attributes)) return '"attributes" must be an object';
    for (const [key, value] of Object.entries(r.attributes)) {
      if (key === '') return '"attributes" has an empty attribute name';
      if (typeof value === 'string') {
        const missing = missingGroups(value, groups);
        if (missing) return `attribute "${key}" refers to group(s) ${missing} that "match" does not define`;
      } else if (!(typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
        return `attribute "${key}" must be a string template, a number or a boolean`;
      }
      attributes[key] = value;
    }
  }
  for (const key of ['successAttribute', 'errorAttribute'] as const) {
    if (r[key] !== undefined && (typeof r[key] !== 'string' || r[key] === '')) return `"${key}" must be a non-empty string`;
  }
  const exitCodeAttributes = r.exitCodeAttributes as Record<string, unknown> | undefined;
  if (exitCodeAttributes !== undefined) {
    if (exitCodeAttributes === null || typeof exitCodeAttributes !== 'object' || Array.isArray(exitCodeAttributes)) return '"exitCodeAttributes" must be an object';
    for (const [key, codes] of Object.entries(exitCodeAttributes)) if (key === '' || !isCodeList(codes)) return `"exitCodeAttributes.${key}" must be a list of exit codes`;
  }
  if (r.okExitCodes !== undefined && !isCodeList(r.okExitCodes)) return '"okExitCodes" must be a list of exit codes';
  return {
    index,
    regex,
    name: r.name,
    attributes,
    successAttribute: r.successAttribute as string | undefined,
    errorAttribute: r.errorAttribute as string | undefined,
    exitCodeAttributes: exitCodeAttributes as Record<string, number[]> | undefined,
    okExitCodes: r.okExitCodes as number[] | undefined,
  };
}

/**
 * Validates and compiles rules: `{ "rules": [...] }` or a bare array. A bad rule costs one warning
 * naming it (its index and name) and is skipped; the others still apply. Never throws.
 */
export function compileRules(json: unknown): { rules: CompiledRule[]; warnings: string[] } {
  const list = Array.isArray(json) ? json : json !== null && typeof json === 'object' ? (json as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(list)) return { rules: [], warnings: ['command rules: expected an object with a "rules" array (or an array of rules); no rules apply'] };
  const rules: CompiledRule[] = [];
  const warnings: string[] = [];
  list.forEach((raw, index) => {
    const compiled = compileOne(raw, index);
    if (typeof compiled === 'string') warnings.push(`command rules: ${describeRule(index, raw)} ${compiled}; the rule is skipped`);
    else rules.push(compiled);
  });
  return { rules, warnings };
}

function expand(template: string, match: RegExpExecArray): string {
  return template.replace(TEMPLATE_REF, (ref, name: string | undefined, num: string | undefined) => {
    if (name !== undefined) return match.groups?.[name] ?? '';
    if (num !== undefined) return match[Number(num)] ?? '';
    return '$';
  });
}

/** The first rule matching the command line, with its templates filled in; undefined when none matches. */
export function applyRules(rules: readonly CompiledRule[] | undefined, commandLine: string): RuleMatch | undefined {
  for (const rule of rules ?? []) {
    rule.regex.lastIndex = 0;
    const m = rule.regex.exec(commandLine);
    if (!m) continue;
    const attributes: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(rule.attributes)) attributes[key] = typeof value === 'string' ? expand(value, m) : value;
    const name = expand(rule.name, m).trim();
    return {
      name: name === '' ? rule.name : name,
      attributes,
      successAttribute: rule.successAttribute,
      errorAttribute: rule.errorAttribute,
      exitCodeAttributes: rule.exitCodeAttributes,
      okExitCodes: rule.okExitCodes,
    };
  }
  return undefined;
}

/** Reads and compiles a rules file. Never throws: an unreadable file or bad JSON gives one warning and no rules. */
export function loadRulesFile(path: string): { rules: CompiledRule[]; warnings: string[] } {
  let text: string;
  try {
    // Bounded: a FIFO or /dev/zero given by mistake must not block or fill the program's memory.
    text = readSmallRegularFile(path);
  } catch (err) {
    return { rules: [], warnings: [`command rules file "${path}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); no rules apply`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { rules: [], warnings: [`command rules file "${path}" is not valid JSON (${(err as Error).message}); no rules apply`] };
  }
  const { rules, warnings } = compileRules(json);
  return { rules, warnings: warnings.map((w) => w.replace(/^command rules:/, `command rules file "${path}":`)) };
}
