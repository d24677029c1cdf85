// Which trace exporters to build, from OTEL_TRACES_EXPORTER, OTLP, kops file, KubeVirt runner and Jaeger variables.
import { DEFAULT_OTLP_GRPC_ENDPOINT, DEFAULT_OTLP_HTTP_ENDPOINT, DEFAULT_OTLP_TIMEOUT_MILLIS, OTLP_HTTP_PORT } from './defaults';
import { EnvReader, isHttpUrl, showValue, stripCredentials } from './env-reader';
import type { AgentOptions, OtlpExporterConfig, OtlpProtocol, OtlpTlsFiles, TraceExporterConfig, TraceFileFormat } from './types';

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const DEFAULT_HTTP_ENDPOINT = DEFAULT_OTLP_HTTP_ENDPOINT;
const DEFAULT_GRPC_ENDPOINT = DEFAULT_OTLP_GRPC_ENDPOINT;
const DEFAULT_ZIPKIN_URL = 'http://localhost:9411/api/v2/spans';
const KNOWN_EXPORTERS = ['otlp', 'console', 'zipkin', 'none', 'otlp/stdout', 'otlp/file', 'jaeger'];

/** The KubeVirt actions runner's settings, when KAR_TELEMETRY_ENABLED=true (seed 000). */
export interface KarSettings {
  exportType: 'otlp' | 'stdout';
  endpoint: string;
  endpointFrom: string;
}

export function readKarSettings(r: EnvReader): KarSettings | undefined {
  const type = r.string('KAR_TELEMETRY_EXPORT_TYPE')?.toLowerCase();
  let exportType: 'otlp' | 'stdout' = 'otlp';
  if (type === 'stdout' || type === 'otlp') exportType = type;
  else if (type !== undefined) r.invalid('KAR_TELEMETRY_EXPORT_TYPE', type, 'otlp or stdout', 'otlp');
  const endpoint = r.url('KAR_TELEMETRY_OTLP_ENDPOINT');
  return {
    exportType,
    endpoint: endpoint ?? DEFAULT_HTTP_ENDPOINT,
    endpointFrom: endpoint ? 'KAR_TELEMETRY_OTLP_ENDPOINT' : 'default',
  };
}

interface JaegerMapping {
  /** OTLP/HTTP traces URL derived from the Jaeger collector endpoint or agent host. */
  url?: string;
  authorization?: string;
  notes: string[];
}

/** Maps legacy Jaeger exporter variables to OTLP on the same host (seeds 002, 003). */
function readJaeger(r: EnvReader): JaegerMapping {
  const notes: string[] = [];
  let url: string | undefined;
  const endpoint = r.url('OTEL_EXPORTER_JAEGER_ENDPOINT');
  const agentHost = r.string('OTEL_EXPORTER_JAEGER_AGENT_HOST');
  if (endpoint) {
    const u = new URL(endpoint);
    url = `${u.protocol}//${bracketed(u.hostname)}:${OTLP_HTTP_PORT}/v1/traces`;
    notes.push(`OTEL_EXPORTER_JAEGER_ENDPOINT=${stripCredentials(endpoint)} -> ${url}`);
  } else if (agentHost) {
    if (/^[A-Za-z0-9.\-:[\]]+$/.test(agentHost)) {
      url = `http://${bracketed(agentHost)}:${OTLP_HTTP_PORT}/v1/traces`;
      notes.push(`OTEL_EXPORTER_JAEGER_AGENT_HOST=${agentHost} (UDP) -> ${url}`);
    } else {
      r.invalid('OTEL_EXPORTER_JAEGER_AGENT_HOST', agentHost, 'a host name', 'no Jaeger mapping');
    }
  }
  const user = r.string('OTEL_EXPORTER_JAEGER_USER');
  const password = r.string('OTEL_EXPORTER_JAEGER_PASSWORD');
  let authorization: string | undefined;
  if (user !== undefined || password !== undefined) {
    authorization = `Basic ${Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64')}`;
    notes.push('OTEL_EXPORTER_JAEGER_USER/PASSWORD -> an Authorization: Basic header');
  }
  return { url, authorization, notes };
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The OTLP exporter's settings with sdk-node's precedence: signal-specific, then generic, then default. */
function readOtlp(
  r: EnvReader,
  fallback: { url?: string; from: string; headers?: Record<string, string> },
  options: AgentOptions,
): OtlpExporterConfig {
  let protocol: OtlpProtocol = 'http/protobuf';
  let protocolFrom = 'default';
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = r.string(name);
    if (value === undefined) continue;
    if ((PROTOCOLS as readonly string[]).includes(value)) {
      protocol = value as OtlpProtocol;
      protocolFrom = name;
      break;
    }
    r.invalid(name, value, `one of ${PROTOCOLS.join(', ')}`, 'http/protobuf');
  }
  if (options.protocol) {
    protocol = options.protocol;
    protocolFrom = 'option';
  }
  const isHttp = protocol !== 'grpc';

  let url: string;
  let urlFrom: string;
  const tracesEndpoint = r.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = options.endpoint ?? r.url('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (options.endpoint !== undefined && !isHttpUrl(options.endpoint)) {
    throw new TypeError(`endpoint "${showValue(options.endpoint)}" is not an http:// or https:// URL`);
  }
  if (tracesEndpoint && options.endpoint === undefined) {
    url = tracesEndpoint;
    urlFrom = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  } else if (endpoint) {
    url = isHttp ? appendPath(endpoint, 'v1/traces') : endpoint;
    urlFrom = options.endpoint !== undefined ? 'option' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  } else if (fallback.url && isHttp) {
    url = fallback.url;
    urlFrom = fallback.from;
  } else {
    url = isHttp ? `${DEFAULT_HTTP_ENDPOINT}/v1/traces` : DEFAULT_GRPC_ENDPOINT;
    urlFrom = 'default';
  }

  const headers = {
    ...fallback.headers,
    ...r.keyValues('OTEL_EXPORTER_OTLP_HEADERS'),
    ...r.keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    ...options.headers,
  };

  const timeoutMillis =
    r.integer('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 1) ?? r.integer('OTEL_EXPORTER_OTLP_TIMEOUT', 1) ?? DEFAULT_OTLP_TIMEOUT_MILLIS;

  let compression: 'gzip' | 'none' = 'none';
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION']) {
    const value = r.string(name)?.toLowerCase();
    if (value === undefined) continue;
    if (value === 'gzip' || value === 'none') {
      compression = value;
      break;
    }
    r.invalid(name, value, 'gzip or none', 'none');
  }

  r.note('otlp.protocol', protocol, protocolFrom);
  r.note('otlp.endpoint', stripCredentials(url), urlFrom);
  if (Object.keys(headers).length > 0) {
    r.note('otlp.headers', Object.keys(headers).map((k) => `${k}=<redacted>`).join(','), 'OTEL_EXPORTER_OTLP_HEADERS');
  }
  const tls = readTlsFiles(r);
  return { kind: 'otlp', protocol, url, headers, timeoutMillis, compression, ...(tls ? { tls } : {}) };
}

/** OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE / CLIENT_CERTIFICATE / CLIENT_KEY: paths; the exporter reads them (bounded). */
function readTlsFiles(r: EnvReader): OtlpTlsFiles | undefined {
  const file = (suffix: string) => r.string(`OTEL_EXPORTER_OTLP_TRACES_${suffix}`) ?? r.string(`OTEL_EXPORTER_OTLP_${suffix}`);
  const tls: OtlpTlsFiles = {};
  const ca = file('CERTIFICATE');
  const cert = file('CLIENT_CERTIFICATE');
  const key = file('CLIENT_KEY');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return Object.keys(tls).length > 0 ? tls : undefined;
}

/** Joins a base URL and a path the way sdk-node does for the generic endpoint. */
function appendPath(base: string, path: string): string {
  return base.endsWith('/') ? base + path : `${base}/${path}`;
}

/** kops-style trace files: a path, or a directory with one file per process (seed 004). */
function readFileTarget(r: EnvReader, options: AgentOptions): Omit<TraceExporterConfigFile, 'format' | 'kind'> | undefined {
  if (options.file) return { target: { kind: 'file', path: options.file }, sourceVariable: 'file option' };
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_FILE', 'OTEL_EXPORTER_OTLP_FILE']) {
    const path = r.string(name);
    if (path !== undefined) return { target: { kind: 'file', path }, sourceVariable: name };
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_DIR', 'OTEL_EXPORTER_OTLP_DIR']) {
    const dir = r.string(name);
    if (dir !== undefined) return { target: { kind: 'dir', dir }, sourceVariable: name };
  }
  return undefined;
}
type TraceExporterConfigFile = Extract<TraceExporterConfig, { kind: 'file' }>;

function readFileFormat(r: EnvReader): TraceFileFormat {
  const value = r.string('OTEL_AGENT_TRACE_FILE_FORMAT')?.toLowerCase();
  if (value === undefined || value === 'jsonl') return 'jsonl';
  if (value === 'kops') return 'kops';
  r.invalid('OTEL_AGENT_TRACE_FILE_FORMAT', value, 'jsonl or kops', 'jsonl');
  return 'jsonl';
}

export function readTraceExporters(r: EnvReader, kar: KarSettings | undefined, options: AgentOptions): TraceExporterConfig[] {
  const jaeger = readJaeger(r);
  const fileTarget = readFileTarget(r, options);
  const format = readFileFormat(r);
  const mappingNotes: string[] = [];

  let names: string[];
  let namesFrom: string;
  const fromEnv = options.exporter !== undefined ? [options.exporter.trim().toLowerCase()] : r.list('OTEL_TRACES_EXPORTER');
  if (fromEnv !== undefined) {
    const source = options.exporter !== undefined ? 'exporter option' : 'OTEL_TRACES_EXPORTER';
    names = [];
    const unknown: string[] = [];
    for (const name of fromEnv) {
      if (KNOWN_EXPORTERS.includes(name)) names.push(name);
      else unknown.push(name);
    }
    r.invalidItems(source, unknown, `one of ${KNOWN_EXPORTERS.join(', ')}`, 'otlp instead of it');
    if (names.length === 0) names = ['otlp'];
    namesFrom = source;
  } else if (kar) {
    names = [kar.exportType === 'stdout' ? 'console' : 'otlp'];
    namesFrom = 'KAR_TELEMETRY_EXPORT_TYPE';
  } else if (fileTarget) {
    // kops: the file variable alone selects file output; an explicit OTLP endpoint adds OTLP export.
    names = ['otlp/file'];
    if (r.has('OTEL_EXPORTER_OTLP_ENDPOINT') || r.has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) names.push('otlp');
    namesFrom = fileTarget.sourceVariable;
  } else {
    names = ['otlp'];
    namesFrom = 'default';
  }
  if (names.includes('none')) {
    if (names.length > 1) r.warn(`OTEL_TRACES_EXPORTER lists "none" with other exporters; no traces are exported`);
    r.note('traces.exporter', 'none', namesFrom);
    return [];
  }
  r.note('traces.exporter', names.join(','), namesFrom);

  // Jaeger settings map to OTLP when no OTLP endpoint is configured.
  const otlpEndpointSet = r.has('OTEL_EXPORTER_OTLP_ENDPOINT') || r.has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') || !!options.endpoint;
  let otlpFallback: { url?: string; from: string; headers?: Record<string, string> } = { from: 'default' };
  if (names.includes('jaeger')) {
    mappingNotes.push('OTEL_TRACES_EXPORTER=jaeger -> otlp (http/protobuf)');
    names = names.map((n) => (n === 'jaeger' ? 'otlp' : n));
  }
  const jaegerInPlay = names.includes('otlp') && (fromEnv?.includes('jaeger') || (!otlpEndpointSet && jaeger.url !== undefined));
  if (jaegerInPlay && !otlpEndpointSet) {
    mappingNotes.push(...jaeger.notes);
    otlpFallback = {
      url: jaeger.url,
      from: jaeger.url ? 'OTEL_EXPORTER_JAEGER_ENDPOINT (mapped)' : 'default',
      headers: jaeger.authorization ? { Authorization: jaeger.authorization } : undefined,
    };
  } else if (jaegerInPlay && jaeger.notes.length > 0) {
    mappingNotes.push('OTEL_EXPORTER_JAEGER_* ignored: an OTLP endpoint is set');
  } else if (kar && names.includes('otlp')) {
    otlpFallback = { url: `${kar.endpoint.replace(/\/+$/, '')}/v1/traces`, from: kar.endpointFrom };
  }
  if (mappingNotes.length > 0) r.warn(`legacy Jaeger settings mapped to OTLP: ${mappingNotes.join('; ')}`);

  const out: TraceExporterConfig[] = [];
  for (const name of new Set(names)) {
    switch (name) {
      case 'otlp':
        out.push(readOtlp(r, otlpFallback, options));
        break;
      case 'console':
        out.push({ kind: 'console' });
        break;
      case 'zipkin': {
        const url = r.url('OTEL_EXPORTER_ZIPKIN_ENDPOINT') ?? DEFAULT_ZIPKIN_URL;
        out.push({ kind: 'zipkin', url });
        break;
      }
      case 'otlp/stdout':
        out.push({ kind: 'file', target: { kind: 'stdout' }, format: 'jsonl', sourceVariable: 'OTEL_TRACES_EXPORTER' });
        break;
      case 'otlp/file':
        if (fileTarget) {
          out.push({ kind: 'file', ...fileTarget, format });
          r.note('traces.file', fileTarget.target.kind === 'file' ? fileTarget.target.path : fileTarget.target.kind === 'dir' ? fileTarget.target.dir : 'stdout', fileTarget.sourceVariable);
        } else {
          r.warn('OTEL_TRACES_EXPORTER=otlp/file needs OTEL_EXPORTER_OTLP_TRACES_FILE or OTEL_EXPORTER_OTLP_TRACES_DIR; writing JSON Lines to stdout instead');
          out.push({ kind: 'file', target: { kind: 'stdout' }, format: 'jsonl', sourceVariable: 'OTEL_TRACES_EXPORTER' });
        }
        break;
    }
  }
  return out;
}
