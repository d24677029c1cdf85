// Parses OTEL_AGENT_FUNCTION_SPANS: which exported functions of which modules to wrap in spans.
//
//   spec      := module '[' function (',' function)* ']' (';' spec)*
//   function  := exportPath ('=' spanName)? ('(' attribute (',' attribute)* ')')?
//   attribute := name (':' argumentPath)?      e.g. vmTemplate  or  package.name:0.name
//
// `exportPath` is an export name, or a dotted path such as `Scheduler.prototype.build`.
// Without an argument path, the i-th attribute records the i-th argument.

import type { FunctionAttributeSpec, FunctionSpanSpec, ModuleFunctionsSpec } from './types';
export type { FunctionAttributeSpec, FunctionSpanSpec, ModuleFunctionsSpec } from './types';
import { showValue } from '../../config/env-reader';

const IDENT = /^[A-Za-z_$][\w$]*$/;
/** More bad parts than this are summed up in one warning. */
const MAX_WARNINGS = 3;
const ATTRIBUTE_NAME = /^[A-Za-z_][\w.-]*$/;

/** Splits on `separator` outside `open`...`close` pairs (unbalanced input never hides a separator for good). */
function splitTopLevel(text: string, separator: string, open: string, close: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === open) depth++;
    if (ch === close) depth = Math.max(0, depth - 1);
    if (ch === separator && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseAttribute(text: string, index: number): FunctionAttributeSpec | string {
  const [name, pathText] = text.split(':').map((s) => s.trim());
  if (!ATTRIBUTE_NAME.test(name)) return `attribute "${showValue(text)}" is not a valid attribute name`;
  if (pathText === undefined) return { name, path: [index] };
  const [first, ...rest] = pathText.split('.');
  if (!/^\d+$/.test(first) || rest.some((p) => !IDENT.test(p))) return `attribute "${showValue(text)}": "${showValue(pathText)}" is not an argument path like 0 or 0.name`;
  return { name, path: [Number(first), ...rest] };
}

/**
 * `name`, `name=SpanName`, `name=SpanName(attributes)` split by index, not by a regular expression:
 * `^([^=(]+?)\s*(?:=\s*([^(]+?))?\s*(?:\((.*)\))?$` took 16 s on a name followed by 2,000 spaces
 * (cubic backtracking over the `\s*`s). The attributes start at the first `(` and end with the text.
 */
function splitFunction(text: string): [exportText: string, spanNameText: string | undefined, attributesText: string | undefined] | undefined {
  const paren = text.indexOf('(');
  if (paren !== -1 && !text.endsWith(')')) return undefined;
  const head = paren === -1 ? text : text.slice(0, paren);
  const attributesText = paren === -1 ? undefined : text.slice(paren + 1, -1);
  const eq = head.indexOf('=');
  const exportText = (eq === -1 ? head : head.slice(0, eq)).trim();
  if (exportText === '' || head.startsWith('=')) return undefined;
  if (eq === -1) return [exportText, undefined, attributesText];
  const spanNameText = head.slice(eq + 1);
  if (spanNameText === '') return undefined;
  return [exportText, spanNameText, attributesText];
}

function parseFunction(text: string): FunctionSpanSpec | string {
  const m = splitFunction(text);
  if (!m) return `"${showValue(text)}" is not of the form name, name=SpanName or name=SpanName(attr,...)`;
  const [exportText, spanNameText, attributesText] = m;
  const exportPath = exportText.split('.').map((s) => s.trim());
  if (exportPath.some((p) => !IDENT.test(p))) return `"${showValue(exportText)}" is not an export name`;
  const spanName = (spanNameText ?? exportText).trim();
  if (spanName === '') return `"${text}" has an empty span name`;
  const attributes: FunctionAttributeSpec[] = [];
  const attributeTexts = attributesText === undefined ? [] : splitTopLevel(attributesText, ',', '(', ')');
  for (const [i, a] of attributeTexts.entries()) {
    const parsed = parseAttribute(a, i);
    if (typeof parsed === 'string') return parsed;
    attributes.push(parsed);
  }
  return { exportPath, spanName, attributes };
}

/** Parses the whole variable; each bad part costs one warning (naming it) and the rest still applies. */
export function parseFunctionSpans(value: string | undefined, variable = 'OTEL_AGENT_FUNCTION_SPANS'): { modules: ModuleFunctionsSpec[]; warnings: string[] } {
  const modules: ModuleFunctionsSpec[] = [];
  const warnings: string[] = [];
  if (value === undefined || value.trim() === '') return { modules, warnings };
  for (const part of splitTopLevel(value, ';', '[', ']')) {
    // module[functions]: the first `[` after the module's first character, and a `]` at the end (by
    // index: the expression `^(.+?)\[(.*)\]$` rescanned to the end from every `[`).
    const open = part.indexOf('[', 1);
    if (open === -1 || !part.endsWith(']')) {
      warnings.push(`${variable}: "${showValue(part)}" is not of the form module[function,...]; it is ignored`);
      continue;
    }
    const moduleText = part.slice(0, open);
    const functionsText = part.slice(open + 1, -1);
    const functions: FunctionSpanSpec[] = [];
    for (const fnText of splitTopLevel(functionsText, ',', '(', ')')) {
      const parsed = parseFunction(fnText);
      if (typeof parsed === 'string') warnings.push(`${variable}: in ${showValue(moduleText.trim())}: ${parsed}; it is ignored`);
      else functions.push(parsed);
    }
    if (functions.length > 0) modules.push({ module: moduleText.trim(), functions });
  }
  // Thousands of bad parts: one warning with the count and the first few, not thousands.
  if (warnings.length > MAX_WARNINGS) return { modules, warnings: [`${variable}: ${warnings.length} parts are ignored; the first ${MAX_WARNINGS}: ${warnings.slice(0, MAX_WARNINGS).map((w) => w.slice(variable.length + 2).replace(/; it is ignored$/, '')).join(' | ')}`] };
  return { modules, warnings };
}
