// The one table of settings: every variable the agent reads, its type, default and meaning (docs/configuration.md is made from it).
//
// resolve-config.ts reads these names (defaults.ts holds the default values); a unit test checks that every `OTEL_*` / `KAR_*` name in src/ is listed here and that
// docs/configuration.md is the table rendered (`npm run docs:settings`). Misspelled variables are found against this table.

import type { AgentConfig } from './types';
import { DEFAULT_BATCH, DEFAULT_COUNT_LIMIT, DEFAULT_FLUSH_TIMEOUT_MILLIS, DEFAULT_OTLP_GRPC_ENDPOINT, DEFAULT_OTLP_HTTP_ENDPOINT, DEFAULT_OTLP_TIMEOUT_MILLIS, logLevelName } from './defaults';

export type SettingType = 'boolean' | 'integer' | 'number' | 'string' | 'url' | 'path' | 'list' | 'key=value list' | 'enum';

export type SettingGroup = 'standard' | 'exporter' | 'batch and limits' | 'instrumentations' | 'agent' | 'trace files' | 'KubeVirt actions runner' | 'legacy Jaeger' | 'context';

export interface Setting {
  readonly name: string;
  readonly type: SettingType;
  /** As documented; empty when unset means "not used". */
  readonly default: string;
  readonly group: SettingGroup;
  readonly description: string;
  /** Where the same setting lives in an OTEL_CONFIG_FILE (file_format 1.x), when it has a place there. */
  readonly file?: string;
  /** The doctor's row for a setting that one variable (or it, then a general one) decides: its label and the resolved value. */
  readonly doctor?: { readonly label: string; readonly value: (config: AgentConfig) => string; readonly fallback?: string };
}

const s = (name: string, type: SettingType, defaultValue: string, group: SettingGroup, description: string, file?: string, doctor?: Setting['doctor']): Setting => ({ name, type, default: defaultValue, group, description, file, doctor });

const OTLP = (suffix: string, type: SettingType, defaultValue: string, description: string, file?: string): Setting[] => [
  s(`OTEL_EXPORTER_OTLP_${suffix}`, type, defaultValue, 'exporter', description, file),
  s(`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, type, defaultValue, 'exporter', `${description} (traces only; wins over the generic variable)`, file),
];

export const SETTINGS: readonly Setting[] = [
  s('OTEL_SDK_DISABLED', 'boolean', 'false', 'standard', '`true` turns the agent off completely', 'disabled'),
  s('OTEL_CONFIG_FILE', 'path', '', 'standard', 'a declarative configuration file (YAML, file_format 1.0/1.1); when set, it is the whole configuration'),
  s('OTEL_SERVICE_NAME', 'string', 'package.json name, else unknown_service:node', 'standard', '`service.name`', 'resource.attributes[service.name]'),
  s('OTEL_RESOURCE_ATTRIBUTES', 'key=value list', '', 'standard', 'resource attributes, percent-encoded `key=value,...`', 'resource.attributes'),
  s('OTEL_NODE_RESOURCE_DETECTORS', 'list', 'env,host,os,process,serviceinstance,container,ci', 'standard', 'resource detectors; cloud ones (`aws`, `gcp`, `azure`, `alibaba`) only when named', 'resource.detection/development.detectors'),
  s('OTEL_TRACES_EXPORTER', 'list', 'otlp', 'exporter', '`otlp`, `console`, `zipkin`, `otlp/stdout`, `otlp/file`, `jaeger` (mapped to OTLP), `none`', 'tracer_provider.processors'),
  s('OTEL_METRICS_EXPORTER', 'list', 'none', 'exporter', '`otlp` or `console`: export the instrumentations\' metrics', 'meter_provider.readers', { label: 'metrics exporter', value: (c) => c.metricsExporters.join(',') || 'none' }),
  s('OTEL_LOGS_EXPORTER', 'list', 'none', 'exporter', '`otlp` or `console`: export logs sent through the logs API (pino, bunyan records among them)', 'logger_provider.processors', { label: 'logs exporter', value: (c) => c.logsExporters.join(',') || 'none' }),
  s('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'enum', 'OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf', 'exporter', 'protocol of the OTLP metric exporter (its other OTEL_EXPORTER_OTLP_METRICS_* variables are read by upstream\'s exporter)'),
  s('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'enum', 'OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf', 'exporter', 'protocol of the OTLP log exporter (its other OTEL_EXPORTER_OTLP_LOGS_* variables are read by upstream\'s exporter)'),
  s('OTEL_LOG_LEVEL', 'enum', 'none', 'standard', '`error`, `warn`, `info`, `debug`, `verbose`, `all`: the SDK\'s own diagnostics on the console (error and warn on stderr, info and debug on stdout)', 'log_level', { label: 'log level', value: (c) => logLevelName(c.logLevel) }),
  ...OTLP('ENDPOINT', 'url', `${DEFAULT_OTLP_HTTP_ENDPOINT} (gRPC: ${DEFAULT_OTLP_GRPC_ENDPOINT})`, 'collector URL (`/v1/traces` is appended to the generic one for HTTP)', 'tracer_provider.processors[].batch.exporter.otlp_*.endpoint'),
  ...OTLP('PROTOCOL', 'enum', 'http/protobuf', '`http/protobuf`, `http/json` or `grpc`'),
  ...OTLP('HEADERS', 'key=value list', '', 'request headers, values never printed', 'tracer_provider.processors[].batch.exporter.otlp_*.headers'),
  ...OTLP('TIMEOUT', 'integer', String(DEFAULT_OTLP_TIMEOUT_MILLIS), 'export request timeout, ms', 'tracer_provider.processors[].batch.exporter.otlp_*.timeout'),
  ...OTLP('COMPRESSION', 'enum', 'none', '`gzip` or `none`', 'tracer_provider.processors[].batch.exporter.otlp_*.compression'),
  ...OTLP('CERTIFICATE', 'path', '', 'CA certificate file for TLS'),
  ...OTLP('CLIENT_CERTIFICATE', 'path', '', 'client certificate file for mutual TLS'),
  ...OTLP('CLIENT_KEY', 'path', '', 'client key file for mutual TLS'),
  ...OTLP('FILE', 'path', '', 'write traces to this file (appended); alone, it selects file output'),
  ...OTLP('DIR', 'path', '', 'write one trace file per process into this directory, `<script>-<pid>-<UTC time>.otel`'),
  s('OTEL_EXPORTER_ZIPKIN_ENDPOINT', 'url', 'http://localhost:9411/api/v2/spans', 'exporter', 'Zipkin URL'),
  s('OTEL_TRACES_SAMPLER', 'enum', 'parentbased_always_on', 'standard', '`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`', 'tracer_provider.sampler'),
  s('OTEL_TRACES_SAMPLER_ARG', 'number', '1', 'standard', 'sampling ratio, 0 to 1, for the ratio samplers', 'tracer_provider.sampler.*.ratio'),
  s('OTEL_PROPAGATORS', 'list', 'tracecontext,baggage', 'standard', '`tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger` (mapped to tracecontext,baggage), `none`', 'propagator.composite', { label: 'propagators', value: (c) => c.propagators.join(',') || 'none' }),
  s('OTEL_BSP_SCHEDULE_DELAY', 'integer', String(DEFAULT_BATCH.scheduledDelayMillis), 'batch and limits', 'ms between batch exports', 'tracer_provider.processors[].batch.schedule_delay', { label: 'batch: schedule delay (ms)', value: (c) => String(c.batch.scheduledDelayMillis) }),
  s('OTEL_BSP_EXPORT_TIMEOUT', 'integer', String(DEFAULT_BATCH.exportTimeoutMillis), 'batch and limits', 'ms an export batch may take', 'tracer_provider.processors[].batch.export_timeout', { label: 'batch: export timeout (ms)', value: (c) => String(c.batch.exportTimeoutMillis) }),
  s('OTEL_BSP_MAX_QUEUE_SIZE', 'integer', String(DEFAULT_BATCH.maxQueueSize), 'batch and limits', 'spans buffered before new ones are dropped', 'tracer_provider.processors[].batch.max_queue_size', { label: 'batch: max queue size', value: (c) => String(c.batch.maxQueueSize) }),
  s('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'integer', String(DEFAULT_BATCH.maxExportBatchSize), 'batch and limits', 'spans per export (at most the queue size)', 'tracer_provider.processors[].batch.max_export_batch_size', { label: 'batch: max export batch size', value: (c) => String(c.batch.maxExportBatchSize) }),
  s('OTEL_ATTRIBUTE_COUNT_LIMIT', 'integer', String(DEFAULT_COUNT_LIMIT), 'batch and limits', 'attributes per span, event or link (general limit)', 'attribute_limits.attribute_count_limit'),
  s('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'integer', 'unlimited', 'batch and limits', 'longest string attribute value (general limit)', 'attribute_limits.attribute_value_length_limit'),
  s('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'integer', 'the general limit', 'batch and limits', 'attributes per span', 'tracer_provider.limits.attribute_count_limit', { label: 'limit: span attribute count', value: (c) => String(c.spanLimits.attributeCountLimit), fallback: 'OTEL_ATTRIBUTE_COUNT_LIMIT' }),
  s('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'integer', 'the general limit', 'batch and limits', 'longest span attribute value', 'tracer_provider.limits.attribute_value_length_limit', { label: 'limit: span attribute length', value: (c) => (c.spanLimits.attributeValueLengthLimit === undefined ? 'unlimited' : String(c.spanLimits.attributeValueLengthLimit)), fallback: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT' }),
  s('OTEL_SPAN_EVENT_COUNT_LIMIT', 'integer', String(DEFAULT_COUNT_LIMIT), 'batch and limits', 'events per span', 'tracer_provider.limits.event_count_limit', { label: 'limit: events per span', value: (c) => String(c.spanLimits.eventCountLimit) }),
  s('OTEL_SPAN_LINK_COUNT_LIMIT', 'integer', String(DEFAULT_COUNT_LIMIT), 'batch and limits', 'links per span', 'tracer_provider.limits.link_count_limit', { label: 'limit: links per span', value: (c) => String(c.spanLimits.linkCountLimit) }),
  s('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 'integer', String(DEFAULT_COUNT_LIMIT), 'batch and limits', 'attributes per event', 'tracer_provider.limits.event_attribute_count_limit', { label: 'limit: attributes per event', value: (c) => String(c.spanLimits.attributePerEventCountLimit) }),
  s('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'integer', String(DEFAULT_COUNT_LIMIT), 'batch and limits', 'attributes per link', 'tracer_provider.limits.link_attribute_count_limit', { label: 'limit: attributes per link', value: (c) => String(c.spanLimits.attributePerLinkCountLimit) }),
  s('OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'list', 'all that are on by default', 'instrumentations', 'instrumentation ids to enable (only those)'),
  s('OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'list', '', 'instrumentations', 'instrumentation ids to leave off'),
  s('OTEL_NODE_EXCLUDED_URLS', 'list', '', 'instrumentations', 'regular expressions (trusted input): matching incoming paths and outgoing URLs get no span'),
  s('OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST', 'list', '', 'instrumentations', 'request headers of server spans to record as `http.request.header.<name>`'),
  s('OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE', 'list', '', 'instrumentations', 'response headers of server spans to record as `http.response.header.<name>`'),
  s('OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST', 'list', '', 'instrumentations', 'request headers of client spans to record as `http.request.header.<name>`'),
  s('OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE', 'list', '', 'instrumentations', 'response headers of client spans to record as `http.response.header.<name>`'),
  s('OTEL_AGENT_HTTP_INSTRUMENTATION', 'enum', 'agent', 'instrumentations', '`agent`: the agent\'s own HTTP instrumentation; `upstream`: @opentelemetry/instrumentation-http'),
  s('OTEL_AGENT_UNDICI_INSTRUMENTATION', 'enum', 'agent', 'instrumentations', '`agent`: the agent\'s own fetch/undici instrumentation; `upstream`: @opentelemetry/instrumentation-undici'),
  s('OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS', 'boolean', 'false', 'instrumentations', '`true`: upstream\'s express/router instrumentations (a span per middleware) instead of the route hook'),
  s('OTEL_AGENT_FUNCTION_SPANS', 'string', '', 'instrumentations', 'exported functions to wrap in spans, `module[fn,fn=name(attr:0.path)];...`'),
  s('OTEL_AGENT_COMMAND_RULES', 'path', '', 'instrumentations', 'JSON rules file that names child-process spans and sets their attributes'),
  s('OTEL_AGENT_FLUSH_TIMEOUT', 'integer', String(DEFAULT_FLUSH_TIMEOUT_MILLIS), 'agent', 'ms the end of a process waits for the collector (up to 5 times that while a burst is delivered)', undefined, { label: 'flush timeout (ms)', value: (c) => String(c.flushTimeoutMillis) }),
  s('OTEL_AGENT_TRACE_FILE_FORMAT', 'enum', 'jsonl', 'trace files', '`jsonl` (OTLP JSON Lines) or `kops` (kops\' framed protobuf)'),
  s('OTEL_AGENT_PROCESS_SPAN', 'enum', 'auto', 'agent', '`true`, `false`, or `auto` (on when a TRACEPARENT was inherited, in the main thread): a span over the whole run'),
  s('OTEL_AGENT_PROCESS_SPAN_NAME', 'string', 'the script\'s file name, else node', 'agent', 'the process span\'s name (not inherited by child processes)'),
  s('OTEL_AGENT_SHOWN_WARNINGS', 'string', '', 'agent', 'set by `otel-agent run` for its command, not by hand: keys of the configuration warnings `run` printed, which the agent in the command\'s processes then does not repeat'),
  s('OTEL_AGENT_CHILD_PROCESS_PROPAGATION', 'boolean', 'true', 'context', 'put the trace context into the environment of child processes and worker threads'),
  s('OTEL_AGENT_LEAN_SPANS', 'boolean', 'true', 'agent', '`false`: the agent\'s own instrumentations record with the SDK\'s span class instead of the agent\'s lean one (the same spans are exported)', undefined, { label: 'lean spans', value: (c) => String(c.leanSpans) }),
  s('OTEL_AGENT_REDACT_FLAGS', 'list', '', 'agent', 'more command-line flags whose value is secret (e.g. `--api-secret,-k`)'),
  s('OTEL_AGENT_REDACTION', 'enum', 'on', 'agent', 'only the exact value `off` turns redaction off (with a warning at every start)'),
  s('KAR_TELEMETRY_ENABLED', 'boolean', '', 'KubeVirt actions runner', '`true` applies the KAR_TELEMETRY_* variables; `false` turns the agent off unless OTEL_SDK_DISABLED=false'),
  s('KAR_TELEMETRY_EXPORT_TYPE', 'enum', 'otlp', 'KubeVirt actions runner', '`otlp` or `stdout`'),
  s('KAR_TELEMETRY_OTLP_ENDPOINT', 'url', DEFAULT_OTLP_HTTP_ENDPOINT, 'KubeVirt actions runner', 'OTLP/HTTP base URL (`/v1/traces` is appended)'),
  s('KAR_TELEMETRY_SERVICE_NAME', 'string', 'kubevirt-actions-runner', 'KubeVirt actions runner', '`service.name`'),
  s('KAR_TELEMETRY_SERVICE_VERSION', 'string', 'unknown', 'KubeVirt actions runner', '`service.version`'),
  s('OTEL_EXPORTER_JAEGER_ENDPOINT', 'url', '', 'legacy Jaeger', 'mapped to OTLP on the same host, port 4318'),
  s('OTEL_EXPORTER_JAEGER_AGENT_HOST', 'string', '', 'legacy Jaeger', 'mapped to `http://<host>:4318/v1/traces`'),
  s('OTEL_EXPORTER_JAEGER_USER', 'string', '', 'legacy Jaeger', 'with the password, an `Authorization: Basic` header'),
  s('OTEL_EXPORTER_JAEGER_PASSWORD', 'string', '', 'legacy Jaeger', 'with the user, an `Authorization: Basic` header (never printed)'),
  s('TRACEPARENT', 'string', '', 'context', 'the W3C trace context a process inherits (invalid: ignored with a warning)'),
  s('TRACESTATE', 'string', '', 'context', 'the W3C trace state inherited with TRACEPARENT'),
  s('BAGGAGE', 'string', '', 'context', 'the W3C baggage a process inherits'),
];

/**
 * Standard variables the agent leaves to the upstream code that reads them (or does not use), so that they are never
 * taken for a misspelling of one of the agent's.
 */
export const OTHER_KNOWN_VARIABLES: readonly string[] = [
  ...['METRICS', 'LOGS'].flatMap((signal) =>
    ['ENDPOINT', 'HEADERS', 'TIMEOUT', 'COMPRESSION', 'CERTIFICATE', 'CLIENT_CERTIFICATE', 'CLIENT_KEY', 'INSECURE'].map((k) => `OTEL_EXPORTER_OTLP_${signal}_${k}`),
  ),
  'OTEL_EXPORTER_OTLP_INSECURE',
  'OTEL_EXPORTER_OTLP_TRACES_INSECURE',
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  'OTEL_METRICS_EXEMPLAR_FILTER',
  'OTEL_BLRP_SCHEDULE_DELAY',
  'OTEL_BLRP_EXPORT_TIMEOUT',
  'OTEL_BLRP_MAX_QUEUE_SIZE',
  'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_EXPORTER_ZIPKIN_TIMEOUT',
  'OTEL_EXPORTER_JAEGER_AGENT_PORT',
  'OTEL_EXPORTER_JAEGER_TIMEOUT',
  'OTEL_SEMCONV_STABILITY_OPT_IN',
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
  'OTEL_EXPERIMENTAL_CONFIG_FILE',
  'OTEL_EXPERIMENTAL_RESOURCE_DETECTORS',
  'OTEL_ENTITIES',
  'OTEL_TRACES_SAMPLER_ARG',
];

export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((setting) => setting.name));

/** The table as Markdown, grouped, for docs/configuration.md (scripts/settings-doc.mjs writes it; a test checks it is current). */
export function renderSettingsTable(): string {
  const groups = [...new Set(SETTINGS.map((setting) => setting.group))];
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return groups
    .map((group) => {
      const rows = SETTINGS.filter((setting) => setting.group === group).map(
        (setting) => `| \`${setting.name}\` | ${setting.type} | ${setting.default === '' ? '' : cell(setting.default)} | ${cell(setting.description)} | ${setting.file ? `\`${setting.file}\`` : ''} |`,
      );
      return [`### ${group[0].toUpperCase()}${group.slice(1)}`, '', '| Variable | Type | Default | Meaning | In a configuration file |', '|---|---|---|---|---|', ...rows].join('\n');
    })
    .join('\n\n');
}
