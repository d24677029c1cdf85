// The typed configuration the agent runs on: everything resolveConfig() derives from an environment.
import type { DiagLogLevel } from '@opentelemetry/api';
import type { ModuleFunctionsSpec } from '../instrumentations/function-spans/types';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type { TraceFileFormat } from '../trace-file/format';
import type { TraceFileFormat } from '../trace-file/format';

export interface OtlpExporterConfig {
  kind: 'otlp';
  protocol: OtlpProtocol;
  /** Full URL: for HTTP it ends in /v1/traces; for gRPC it is the server's address. */
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
  /** TLS files (paths, read when the exporter is made): a private CA, and a client certificate and key for mutual TLS. */
  tls?: OtlpTlsFiles;
}

export interface OtlpTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface FileExporterConfig {
  kind: 'file';
  target: { kind: 'file'; path: string } | { kind: 'dir'; dir: string } | { kind: 'stdout' };
  format: TraceFileFormat;
  /** The variable that named the path, for messages. */
  sourceVariable: string;
}

/**
 * The span processor in front of one exporter, when a configuration file chooses it; without it
 * the console gets a simple processor and every other exporter a batch one with AgentConfig.batch.
 */
export type SpanProcessorConfig = { kind: 'simple' } | ({ kind: 'batch' } & BatchConfig);

export type TraceExporterConfig = (
  | OtlpExporterConfig
  | FileExporterConfig
  | { kind: 'console' }
  | { kind: 'zipkin'; url: string }
) & { processor?: SpanProcessorConfig };

export type SamplerConfig =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number }
  | ParentBasedSamplerConfig;

/** A parent-based sampler with every branch (a configuration file's `parent_based`); unset branches keep the SDK's defaults. */
export interface ParentBasedSamplerConfig {
  kind: 'parent_based';
  root: SamplerConfig;
  remoteParentSampled?: SamplerConfig;
  remoteParentNotSampled?: SamplerConfig;
  localParentSampled?: SamplerConfig;
  localParentNotSampled?: SamplerConfig;
}

export interface HttpConfig {
  /** Regular-expression sources from OTEL_NODE_EXCLUDED_URLS (comma-separated). Incoming: matched against path+query; outgoing: against the full URL. */
  readonly excludedUrls: readonly string[];
  /** Lower-case header names to record, from OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_{SERVER_REQUEST,SERVER_RESPONSE,CLIENT_REQUEST,CLIENT_RESPONSE}. */
  readonly captureHeaders: {
    readonly serverRequest: readonly string[];
    readonly serverResponse: readonly string[];
    readonly clientRequest: readonly string[];
    readonly clientResponse: readonly string[];
  };
  /** OTEL_AGENT_HTTP_INSTRUMENTATION: 'agent' (default, the agent's own) or 'upstream' (@opentelemetry/instrumentation-http). */
  readonly implementation: 'agent' | 'upstream';
  /** OTEL_AGENT_UNDICI_INSTRUMENTATION: 'agent' (default, the agent's own fetch/undici instrumentation) or 'upstream' (@opentelemetry/instrumentation-undici). */
  readonly undiciImplementation: 'agent' | 'upstream';
  /** OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS=true turns upstream's express/router per-middleware spans back on (default false). */
  readonly expressMiddlewareSpans: boolean;
}

/** OTLP settings of the metrics or logs exporter from a configuration file (the variables' path lets the upstream exporter read its own). */
export interface SignalOtlpConfig {
  protocol: OtlpProtocol;
  url?: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  compression?: 'gzip' | 'none';
}

export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi';

export const LOCAL_RESOURCE_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'container', 'ci'] as const;
export const CLOUD_RESOURCE_DETECTORS = ['aws', 'gcp', 'azure', 'alibaba'] as const;
export type ResourceDetectorName =
  | (typeof LOCAL_RESOURCE_DETECTORS)[number]
  | (typeof CLOUD_RESOURCE_DETECTORS)[number];

export interface BatchConfig {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export interface SpanLimitsConfig {
  attributeValueLengthLimit?: number;
  attributeCountLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

export type SignalExporter = 'otlp' | 'console';

/** Where a setting's value came from, for `otel-agent doctor` and for messages. */
export interface SettingSource {
  value: string;
  /** The variable (or 'default', or 'option' for startAgent options). */
  from: string;
}

export interface AgentConfig {
  /** False when the agent should do nothing at all. */
  enabled: boolean;
  /** Why the agent is off, when it is. */
  disabledBy?: string;
  /** service.name and service.version set explicitly (variables/options); package.json fills gaps later. */
  serviceName?: string;
  serviceVersion?: string;
  /** Other resource attributes (OTEL_RESOURCE_ATTRIBUTES, deployment environment). */
  resourceAttributes: Record<string, string>;
  resourceDetectors: ResourceDetectorName[];
  /** Empty when OTEL_TRACES_EXPORTER=none: no trace pipeline is built. */
  traceExporters: TraceExporterConfig[];
  sampler: SamplerConfig;
  batch: BatchConfig;
  spanLimits: SpanLimitsConfig;
  propagators: PropagatorName[];
  /** Ids of the instrumentations to enable (e.g. 'http', 'express'). */
  instrumentations: string[];
  metricsExporters: SignalExporter[];
  logsExporters: SignalExporter[];
  logLevel: DiagLogLevel;
  /** Upper bound on the flush at exit. */
  flushTimeoutMillis: number;
  /** A span covering the whole run: 'auto' = when a context was inherited (TRACEPARENT, or B3 with OTEL_PROPAGATORS=b3). */
  processSpan: 'auto' | 'on' | 'off';
  processSpanName?: string;
  /** Put the configured propagators' fields (TRACEPARENT, B3, X_B3_*...) into the environment of child processes and workers. */
  childProcessPropagation: boolean;
  /** The agent's own instrumentations record with the agent's lean span instead of the SDK's (OTEL_AGENT_LEAN_SPANS, default true). */
  leanSpans: boolean;
  /** Exported functions to wrap in spans (OTEL_AGENT_FUNCTION_SPANS). */
  functionSpans: ModuleFunctionsSpec[];
  /** Path of the rules file for child-process spans (OTEL_AGENT_COMMAND_RULES). */
  commandRulesFile?: string;
  /** Redaction of secrets in recorded command lines. */
  redaction: { enabled: boolean; extraFlags: string[] };
  readonly http: HttpConfig;
  /** Setting name -> value and origin. Secrets are redacted. */
  sources: Record<string, SettingSource>;
  /** The OTEL_CONFIG_FILE this configuration was read from (then the only source besides substitution). */
  configFile?: string;
  /** Per-instrumentation constructor options (a configuration file's instrumentation/development.js.<id>). */
  instrumentationOptions?: Record<string, Record<string, unknown>>;
  /** OTLP settings for the metrics / logs exporters when a configuration file gives them. */
  metricsOtlp?: SignalOtlpConfig;
  logsOtlp?: SignalOtlpConfig;
  /** Protocols of the upstream OTLP metric / log exporters, from OTEL_EXPORTER_OTLP_{METRICS,LOGS}_PROTOCOL or the generic one (the exporters read their other variables themselves). */
  metricsProtocol: OtlpProtocol;
  logsProtocol: OtlpProtocol;
  /** Metric export interval (ms) from a configuration file's periodic reader. */
  metricsExportIntervalMillis?: number;
}

/** Options of the programmatic entry; each mirrors an environment variable and wins over it. */
export interface AgentOptions {
  serviceName?: string;
  serviceVersion?: string;
  /** deployment.environment.name */
  environment?: string;
  /** 'otlp' | 'console' | 'zipkin' | 'otlp/stdout' | 'otlp/file' | 'none' (as OTEL_TRACES_EXPORTER) */
  exporter?: string;
  /** OTLP endpoint: a base URL (the /v1/traces path is added for HTTP), as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint?: string;
  protocol?: OtlpProtocol;
  headers?: Record<string, string>;
  /** Trace file path, as OTEL_EXPORTER_OTLP_TRACES_FILE. */
  file?: string;
  /** 0..1: a parent-based trace-id-ratio sampler. */
  samplingRate?: number;
  maxExportBatchSize?: number;
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  flushTimeoutMillis?: number;
  /** Instrumentation ids to enable (as OTEL_NODE_ENABLED_INSTRUMENTATIONS). */
  instrumentations?: string[];
}

/** What resolveConfig needs besides the environment; gathered by environment.ts. */
export interface ConfigContext {
  /** All instrumentation ids the agent knows, and which are on by default. */
  knownInstrumentations: readonly { id: string; defaultOn: boolean }[];
  /** Reads OTEL_CONFIG_FILE (default: readSmallRegularFile: a regular file of at most 1 MiB, as UTF-8); tests and callers may pass the text in. */
  readFile?: (path: string) => string;
}

export interface ResolvedConfig {
  config: AgentConfig;
  warnings: string[];
  /** Variables whose value was rejected, so that their default applies (none when a configuration file is used). */
  rejected?: readonly string[];
}
