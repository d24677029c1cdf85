// The traces of trace files as trees: spans grouped by trace, linked to their parents, ordered by start time.
import { fromKeyValues, hexId, nanos, parentId, readTraceFile, spansOf, type OtlpTracesData, type PlainValue } from '../../trace-file/reader';

export type Attrs = { [key: string]: PlainValue };

export interface ViewSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP kind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  start: bigint;
  end: bigint;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  attributes: Attrs;
  events: { name: string; time: bigint; attributes: Attrs }[];
  links: { traceId: string; spanId: string; attributes: Attrs }[];
  /** Index into ViewData.resources. */
  resource: number;
  scope: { name: string; version?: string };
  children: ViewSpan[];
  depth: number;
  /** The span names a parent that is not in the files (e.g. in another process's file not given). */
  orphan: boolean;
}

export interface ViewTrace {
  traceId: string;
  /** Top-level spans: true roots and orphans, by start time. */
  roots: ViewSpan[];
  /** Every span in display order (depth-first, children by start time). */
  spans: ViewSpan[];
  start: bigint;
  end: bigint;
  services: string[];
  errors: number;
}

export interface ViewData {
  traces: ViewTrace[];
  resources: Attrs[];
  /** "file: position: message" for every damaged line, record or span. */
  problems: string[];
  /** Files that could not be read at all (missing, unreadable, a directory): each is also in `problems`. */
  unreadable: string[];
}

/** Reads the files; damage is collected in `problems`, a file that cannot be read at all as well. */
export function loadTraces(files: readonly string[]): ViewData {
  const problems: string[] = [];
  const resources: Attrs[] = [];
  const resourceIndex = new Map<string, number>();
  const byTrace = new Map<string, Map<string, ViewSpan>>();
  const unreadable: string[] = [];

  for (const file of files) {
    let contents: ReturnType<typeof readTraceFile>;
    try {
      contents = readTraceFile(file);
    } catch (err) {
      problems.push(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      unreadable.push(file);
      continue;
    }
    for (const e of contents.errors) problems.push(`${file}: ${e.position}: ${e.message}`);
    contents.requests.forEach((request, i) => {
      let index = 0;
      for (const { span, scopeSpans, resourceSpans } of spansOf(request as OtlpTracesData)) {
        index++;
        try {
          const traceId = hexId(span.traceId, 16, 'traceId');
          const spanId = hexId(span.spanId, 8, 'spanId');
          const start = nanos(span.startTimeUnixNano, 'startTimeUnixNano');
          const end = span.endTimeUnixNano === undefined ? start : nanos(span.endTimeUnixNano, 'endTimeUnixNano');
          const resourceAttrs = fromKeyValues(resourceSpans.resource?.attributes);
          const scope = (scopeSpans.scope ?? {}) as { name?: unknown; version?: unknown };
          const status = (span.status ?? {}) as { code?: unknown; message?: unknown };
          const viewSpan: ViewSpan = {
            traceId,
            spanId,
            parentSpanId: parentId(span.parentSpanId),
            name: optionalString(span.name, 'name') ?? '',
            kind: optionalInteger(span.kind, 'kind') ?? 0,
            start,
            end: end < start ? start : end,
            status: { code: optionalInteger(status.code, 'status.code') ?? 0, ...(status.message ? { message: optionalString(status.message, 'status.message') } : {}) },
            attributes: fromKeyValues(span.attributes),
            events: listOf(span.events, 'events').map((e) => ({ name: optionalString(e.name, 'event name') ?? '', time: safeNanos(e.timeUnixNano, start), attributes: fromKeyValues(e.attributes) })),
            links: listOf(span.links, 'links').map((l) => ({ traceId: optionalString(l.traceId, 'link traceId') ?? '', spanId: optionalString(l.spanId, 'link spanId') ?? '', attributes: fromKeyValues(l.attributes) })),
            resource: -1,
            scope: { name: optionalString(scope.name, 'scope name') ?? '', ...(scope.version ? { version: optionalString(scope.version, 'scope version') } : {}) },
            children: [],
            depth: 0,
            orphan: false,
          };
          // Only a span that could be read in full makes its trace and resource exist.
          const key = JSON.stringify(resourceSpans.resource?.attributes ?? []);
          let resource = resourceIndex.get(key);
          if (resource === undefined) {
            resource = resources.push(resourceAttrs) - 1;
            resourceIndex.set(key, resource);
          }
          viewSpan.resource = resource;
          const spans = byTrace.get(traceId) ?? new Map<string, ViewSpan>();
          byTrace.set(traceId, spans);
          // The same span twice (an exit path resending what was in flight): keep one.
          if (!spans.has(spanId)) spans.set(spanId, viewSpan);
        } catch (err) {
          problems.push(`${file}: ${contents.positions[i]}: span ${index}: ${(err as Error).message}`);
        }
      }
    });
  }

  const traces = [...byTrace.entries()].map(([traceId, spans]) => buildTrace(traceId, spans, resources));
  traces.sort((a, b) => compare(a.start, b.start));
  return { traces, resources, problems, unreadable };
}

// JSON-valid damage (a number where a string belongs, an object for a list) is reported, not rendered as "[object Object]" or thrown on later.
function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
  throw new Error(`${what} is not a string: ${describe(value)}`);
}

function optionalInteger(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new Error(`${what} is not an integer: ${describe(value)}`);
}

function listOf<T extends object>(value: T[] | undefined, what: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what} is not a list: ${describe(value)}`);
  return value.filter((v) => typeof v === 'object' && v !== null);
}

function describe(value: unknown): string {
  const text = typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function safeNanos(value: string | number | undefined, fallback: bigint): bigint {
  try {
    return nanos(value, 'time');
  } catch {
    return fallback;
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildTrace(traceId: string, spans: Map<string, ViewSpan>, resources: Attrs[]): ViewTrace {
  const roots: ViewSpan[] = [];
  for (const span of spans.values()) {
    const parent = span.parentSpanId === undefined ? undefined : spans.get(span.parentSpanId);
    if (parent && parent !== span) parent.children.push(span);
    else {
      span.orphan = span.parentSpanId !== undefined;
      roots.push(span);
    }
  }
  const byStart = (a: ViewSpan, b: ViewSpan) => compare(a.start, b.start) || a.name.localeCompare(b.name);
  roots.sort(byStart);
  const ordered: ViewSpan[] = [];
  const seen = new Set<ViewSpan>();
  // Iterative depth-first walk: deep traces must not overflow the stack, and a parent cycle in a
  // damaged file must not loop forever.
  const stack: ViewSpan[] = [...roots].reverse();
  for (const root of roots) root.depth = 0;
  while (stack.length > 0) {
    const span = stack.pop()!;
    if (seen.has(span)) continue;
    seen.add(span);
    ordered.push(span);
    span.children.sort(byStart);
    for (let i = span.children.length - 1; i >= 0; i--) {
      span.children[i].depth = span.depth + 1;
      stack.push(span.children[i]);
    }
  }
  // Spans only reachable through a cycle: shown at the top level rather than dropped.
  for (const span of spans.values()) {
    if (!seen.has(span)) {
      span.depth = 0;
      span.orphan = true;
      ordered.push(span);
    }
  }
  let start = ordered[0].start;
  let end = ordered[0].end;
  for (const s of ordered) {
    if (s.start < start) start = s.start;
    if (s.end > end) end = s.end;
  }
  const services = [...new Set(ordered.map((s) => String(resources[s.resource]['service.name'] ?? 'unknown')))];
  return { traceId, roots, spans: ordered, start, end, services, errors: ordered.filter((s) => s.status.code === 2).length };
}

/** Traces whose id starts with `prefix` (case-insensitive), so a short id works as in trace UIs. */
export function selectTraces(data: ViewData, prefix: string | undefined): ViewTrace[] {
  if (prefix === undefined) return data.traces;
  const p = prefix.toLowerCase();
  return data.traces.filter((t) => t.traceId.startsWith(p));
}
