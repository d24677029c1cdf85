// The terminal waterfall: per trace, an indented span tree with time bars scaled to the width, durations, error marks, key attributes.
import { terminalSafe, type Style } from '../style';
import { formatDuration, keyAttributes } from './format';
import type { ViewSpan, ViewTrace } from './model';

const DURATION_WIDTH = 8;

interface Segment {
  text: string;
  paint?: (s: string) => string;
}

/** Lines for one trace, each exactly `width` columns wide at most. */
export function renderTrace(trace: ViewTrace, width: number, s: Style): string[] {
  const total = trace.end - trace.start;
  const nameWidth = Math.max(20, Math.min(80, Math.floor(width * 0.45)));
  const barWidth = Math.max(10, width - nameWidth - DURATION_WIDTH - 2);
  const lines: string[] = [];

  const errors = trace.errors > 0 ? ` · ${s.red(`${trace.errors} error${trace.errors > 1 ? 's' : ''}`)}` : '';
  lines.push(
    `${s.bold('trace')} ${s.bold(trace.traceId)} · ${trace.spans.length} span${trace.spans.length === 1 ? '' : 's'}${errors} · ${formatDuration(total)} · ${terminalSafe(trace.services.join(', '))}`,
  );
  lines.push(s.dim(`started ${isoTime(trace.start)}`));

  for (const { span, prefix } of withTreePrefixes(trace)) {
    const segments: Segment[] = [{ text: prefix, paint: s.dim }];
    if (span.orphan) segments.push({ text: '⋯ ', paint: s.dim });
    if (span.status.code === 2) segments.push({ text: '✗ ', paint: s.red });
    segments.push({ text: terminalSafe(span.name) || '(unnamed)', paint: span.status.code === 2 ? s.red : undefined });
    for (const [key, value] of keyAttributes(span)) segments.push({ text: terminalSafe(` ${shortKey(key)}=${value}`), paint: s.dim });
    const bar = renderBar(span, trace.start, total, barWidth, s);
    const duration = formatDuration(span.end - span.start).padStart(DURATION_WIDTH);
    lines.push(`${fit(segments, nameWidth)} ${bar} ${span.status.code === 2 ? s.red(duration) : duration}`);
  }
  return lines;
}

/**
 * Guides are drawn for this many levels; deeper rows keep the guides of that level and show their
 * depth as a number (`[57]─`), so a row's prefix, and the time and memory to draw a trace, stay
 * bounded however long a parent chain is.
 */
export const MAX_GUIDE_DEPTH = 12;

/** Depth-first, with the ├─ └─ │ guides of each row. */
function withTreePrefixes(trace: ViewTrace): { span: ViewSpan; prefix: string }[] {
  const out: { span: ViewSpan; prefix: string }[] = [];
  const seen = new Set<ViewSpan>();
  const stack: { span: ViewSpan; prefix: string; childPrefix: string; depth: number }[] = [];
  const pushChildren = (children: ViewSpan[], base: string, depth: number) => {
    for (let i = children.length - 1; i >= 0; i--) {
      const last = i === children.length - 1;
      if (depth === 0) stack.push({ span: children[i], prefix: '', childPrefix: '', depth });
      else if (depth <= MAX_GUIDE_DEPTH) {
        stack.push({ span: children[i], prefix: `${base}${last ? '└─' : '├─'}`, childPrefix: depth < MAX_GUIDE_DEPTH ? `${base}${last ? '  ' : '│ '}` : base, depth });
      } else {
        // `base` no longer grows: every deeper row shares the prefix of the last guided level.
        stack.push({ span: children[i], prefix: `${base}[${depth}]─`, childPrefix: base, depth });
      }
    }
  };
  pushChildren(trace.roots, '', 0);
  while (stack.length > 0) {
    const { span, prefix, childPrefix, depth } = stack.pop()!;
    if (seen.has(span)) continue;
    seen.add(span);
    out.push({ span, prefix });
    pushChildren(span.children, childPrefix, depth + 1);
  }
  // Spans the model could not place under a root (parent cycles in damaged files).
  for (const span of trace.spans) if (!seen.has(span)) out.push({ span, prefix: '' });
  return out;
}

function renderBar(span: ViewSpan, start: bigint, total: bigint, width: number, s: Style): string {
  const scale = total > 0n ? width / Number(total) : 0;
  let from = Math.floor(Number(span.start - start) * scale);
  let to = Math.ceil(Number(span.end - start) * scale);
  if (from >= width) from = width - 1;
  if (to <= from) to = from + 1;
  if (to > width) to = width;
  const paint = span.status.code === 2 ? s.red : KIND_PAINT[span.kind]?.(s) ?? s.green;
  return `${' '.repeat(from)}${paint('█'.repeat(to - from))}${' '.repeat(width - to)}`;
}

// Colors by kind, as trace UIs do: servers and consumers (work coming in) apart from clients and producers.
const KIND_PAINT: Record<number, (s: Style) => (t: string) => string> = {
  2: (s) => s.cyan,
  3: (s) => s.magenta,
  4: (s) => s.blue,
  5: (s) => s.cyan,
};

/** `k8s.pod.name` -> `k8s.pod.name`, `http.response.status_code` -> `status`: the common ones get short names. */
function shortKey(key: string): string {
  return SHORT_KEYS[key] ?? key;
}
const SHORT_KEYS: Record<string, string> = {
  'http.response.status_code': 'status',
  'http.route': 'route',
  'url.path': 'path',
  'http.request.method': 'method',
  'process.exit.code': 'exit',
};

/** Joins the segments, cut with … to `width` visible columns and padded to it; styles apply after cutting. */
function fit(segments: Segment[], width: number): string {
  let out = '';
  let used = 0;
  for (const segment of segments) {
    const chars = [...segment.text];
    if (used + chars.length > width) {
      const room = Math.max(0, width - used - 1);
      const text = chars.slice(0, room).join('') + '…';
      out += segment.paint ? segment.paint(text) : text;
      used += room + 1;
      break;
    }
    out += segment.paint ? segment.paint(segment.text) : segment.text;
    used += chars.length;
  }
  return out + ' '.repeat(Math.max(0, width - used));
}

export function isoTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  // Microseconds too: spans of one trace often start within the same millisecond.
  const micros = String((ns / 1_000n) % 1_000n).padStart(3, '0');
  return iso.replace('Z', `${micros}Z`);
}
