// What both waterfalls show about a span: its duration as text, its few key attributes, values as short text.
import type { PlainValue } from '../../trace-file/reader';
import { redactUrl } from '../redact';
import type { ViewSpan } from './model';

/** 850µs, 12.3ms, 1.23s, 2m03s: three significant digits are plenty for a waterfall. */
export function formatDuration(ns: bigint): string {
  const n = Number(ns);
  if (n < 1_000) return `${n}ns`;
  if (n < 1_000_000) return `${trim(n / 1_000)}µs`;
  if (n < 1_000_000_000) return `${trim(n / 1_000_000)}ms`;
  const s = n / 1_000_000_000;
  if (s < 60) return `${trim(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/**
 * Attributes worth a glance in a waterfall row, in this order: HTTP route/path and status, RPC and
 * database basics, the Kubernetes and KubeVirt objects the runner works on, process exits, packages.
 */
const KEY_ATTRIBUTES = [
  'http.request.method',
  'http.route',
  'url.path',
  // Client spans: where the request went (host and path of the redacted url.full), see clientTarget.
  'url',
  'http.response.status_code',
  'rpc.method',
  'db.system.name',
  'db.system',
  'messaging.destination.name',
  'vmiName',
  'kubevirt.vmi.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.*',
  'process.exit.code',
  'package.name',
  'error.type',
];
const MAX_KEY_ATTRIBUTES = 4;

export function keyAttributes(span: ViewSpan): [string, string][] {
  const out: [string, string][] = [];
  const taken = new Set<string>();
  for (const pattern of KEY_ATTRIBUTES) {
    const keys = pattern.endsWith('*') ? Object.keys(span.attributes).filter((k) => k.startsWith(pattern.slice(0, -1))).sort() : [pattern];
    if (pattern === 'url') {
      const target = 'url.path' in span.attributes ? undefined : clientTarget(span.attributes);
      if (target !== undefined && out.length < MAX_KEY_ATTRIBUTES) out.push(['url', valueText(target, 60)]);
      continue;
    }
    for (const key of keys) {
      if (out.length >= MAX_KEY_ATTRIBUTES) return out;
      if (taken.has(key) || !(key in span.attributes)) continue;
      // The method is already in most HTTP span names ("GET /users").
      if (key === 'http.request.method' && span.name.startsWith(String(span.attributes[key]))) continue;
      taken.add(key);
      out.push([key, valueText(span.attributes[key], 40)]);
    }
  }
  return out;
}

/**
 * `host[:port]/path` of a client span's URL (`url.full`, or the older `http.url`), which its name
 * ("GET") does not say. Only host and path: credentials and the query (where tokens live) are left
 * out; what is not a URL is shown with credentials redacted.
 */
function clientTarget(attributes: ViewSpan['attributes']): string | undefined {
  const full = attributes['url.full'] ?? attributes['http.url'];
  if (typeof full !== 'string' || full === '') return undefined;
  try {
    const url = new URL(full);
    return `${url.host}${url.pathname}`;
  } catch {
    return redactUrl(full);
  }
}

/** A value as one short line: strings as they are, the rest as JSON, bytes as hex. */
export function valueText(value: PlainValue, max = 200): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `0x${Buffer.from(v).toString('hex')}` : v));
  const oneLine = (text ?? 'null').replace(/\s*\n\s*/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
