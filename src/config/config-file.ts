// OTEL_CONFIG_FILE: the declarative configuration document mapped onto the same AgentConfig the variables produce.
import { parseKeyValueList } from './key-values';
import { DEFAULT_BATCH, DEFAULT_COUNT_LIMIT, DEFAULT_FLUSH_TIMEOUT_MILLIS, DEFAULT_OTLP_GRPC_ENDPOINT, DEFAULT_OTLP_HTTP_ENDPOINT, DEFAULT_OTLP_TIMEOUT_MILLIS, LOG_LEVELS } from './defaults';
import type {
  ConfigurationModel,
  OtlpGrpcExporterConfigModel,
  OtlpHttpExporterConfigModel,
  SamplerConfigModel,
  SpanExporterConfigModel,
} from '@opentelemetry/configuration';
import type { DiagLogLevel } from '@opentelemetry/api';
import { parseFunctionSpans } from '../instrumentations/function-spans/spec';
import { showValue, type Env } from './env-reader';
import { ConfigFileError, parseConfigText } from './file-parse';
import { readSmallRegularFile } from '../runtime/bounded-fs';
import {
  CLOUD_RESOURCE_DETECTORS,
  type AgentConfig,
  type BatchConfig,
  type OtlpTlsFiles,
  type ConfigContext,
  type HttpConfig,
  type OtlpExporterConfig,
  type PropagatorName,
  type ResolvedConfig,
  type ResourceDetectorName,
  type SamplerConfig,
  type SignalExporter,
  type SignalOtlpConfig,
  type SpanProcessorConfig,
  type TraceExporterConfig,
  type TraceFileFormat,
} from './types';

/** Where the agent's own settings live in the document (instrumentation/development.js.otel_agent). */
export const AGENT_SETTINGS_PATH = '/instrumentation/development/js/otel_agent';

const DEFAULT_HTTP_TRACES_URL = `${DEFAULT_OTLP_HTTP_ENDPOINT}/v1/traces`;
const DEFAULT_GRPC_URL = DEFAULT_OTLP_GRPC_ENDPOINT;
const SPAN_EXPORTERS = ['otlp_http', 'otlp_grpc', 'console', 'otlp_file/development'];
const SAMPLERS = ['always_on', 'always_off', 'trace_id_ratio_based', 'parent_based'];
const PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi'];
/** The schema's detectors and the agent's detectors they stand for; cloud detectors by the agent's names. */
const DETECTORS: Record<string, ResourceDetectorName[]> = {
  container: ['container'],
  host: ['host', 'os'],
  process: ['process'],
  service: ['serviceinstance'],
  ci: ['ci'],
  ...Object.fromEntries(CLOUD_RESOURCE_DETECTORS.map((d) => [d, [d]])),
};
const AGENT_KEYS = [
  'flush_timeout',
  'process_span',
  'process_span_name',
  'child_process_propagation',
  'lean_spans',
  'function_spans',
  'command_rules',
  'redaction',
  'trace_file_format',
];

// SeverityNumber names (the schema's log_level) onto the agent's DiagLogLevel numbers.
const SEVERITY_LOG_LEVELS: [RegExp, number][] = [
  [/^trace/, LOG_LEVELS.verbose],
  [/^debug/, LOG_LEVELS.debug],
  [/^info/, LOG_LEVELS.info],
  [/^warn/, LOG_LEVELS.warn],
  [/^(error|fatal)/, LOG_LEVELS.error],
];

/**
 * Reads, parses and maps the file OTEL_CONFIG_FILE names. Any problem turns the agent off with one
 * warning naming the file (and the path in the document): a half-applied configuration file would
 * send spans where nobody expects them.
 */
export function resolveFromFile(file: string, env: Env, context: ConfigContext, offConfig: () => AgentConfig): ResolvedConfig {
  let text: string;
  try {
    // Bounded: a FIFO, /dev/zero, /dev/stdin (the program's own input) or a huge file is refused before any read.
    text = context.readFile ? context.readFile(file) : readSmallRegularFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return off(offConfig(), file, `${file}: cannot be read (${code ?? (err as Error).message})`);
  }
  try {
    const config = configFromModel(parseConfigText(text, file, env), file, context);
    const warnings = config.redaction.enabled ? [] : [`${file}: ${AGENT_SETTINGS_PATH}/redaction/enabled is false: command lines and exception messages are recorded without redaction; secrets in them will be exported`];
    return { config, warnings };
  } catch (err) {
    if (err instanceof ConfigFileError) return off(offConfig(), file, err.message);
    throw err;
  }
}

function off(config: AgentConfig, file: string, problem: string): ResolvedConfig {
  return {
    config: { ...config, enabled: false, disabledBy: `OTEL_CONFIG_FILE (${problem})`, configFile: file },
    warnings: [`OTEL_CONFIG_FILE ${problem}; the agent is off and the program runs untraced`],
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The pure mapping: a validated model (and the file's name, for sources and messages) to AgentConfig. */
export function configFromModel(model: ConfigurationModel, file: string, context: ConfigContext): AgentConfig {
  const sources: AgentConfig['sources'] = {};
  const note = (setting: string, value: string, at: string) => (sources[setting] = { value, from: `${file}: ${at}` });
  const fail = (at: string, message: string): never => {
    throw new ConfigFileError(`${file}: ${at}: ${message}`);
  };
  const unknown = (at: string, kind: string, name: string, known: readonly string[]): never =>
    fail(at, `unknown ${kind} "${showValue(name)}" (the agent knows ${known.join(', ')})`);
  /** The one key of a component mapping (`{ otlp_http: {...} }`). */
  const single = (value: unknown, at: string, kind: string, known: readonly string[]): [string, Obj] => {
    const keys = isObj(value) ? Object.keys(value) : [];
    if (keys.length !== 1) fail(at, `expected exactly one ${kind}, found ${keys.length}`);
    if (!known.includes(keys[0])) unknown(`${at}/${keys[0]}`, kind, keys[0], known);
    const inner = (value as Obj)[keys[0]];
    return [keys[0], isObj(inner) ? inner : {}];
  };

  const enabled = model.disabled !== true;
  note('enabled', String(enabled), model.disabled == null ? '/disabled (not set)' : '/disabled');

  // Resource: attributes win over attributes_list (as upstream merges them).
  const resourceAttributes: Record<string, string> = {};
  const list = model.resource?.attributes_list;
  if (list) {
    const parsed = parseKeyValueList(list);
    if (parsed.malformed.length > 0) fail('/resource/attributes_list', `malformed entry "${showValue(parsed.malformed[0])}" (expected key=value)`);
    if (parsed.badEncoding.length > 0) fail('/resource/attributes_list', `entry "${showValue(parsed.badEncoding[0])}" is not percent-encoded correctly`);
    Object.assign(resourceAttributes, parsed.values);
  }
  for (const [i, a] of (model.resource?.attributes ?? []).entries()) {
    if (a.value === null) continue;
    resourceAttributes[a.name] = Array.isArray(a.value) ? a.value.join(',') : String(a.value);
    note(`resource: ${a.name}`, resourceAttributes[a.name], `/resource/attributes/${i}`);
  }
  for (const key of Object.keys(resourceAttributes)) sources[`resource: ${key}`] ??= { value: resourceAttributes[key], from: `${file}: /resource/attributes_list` };
  const serviceName = resourceAttributes['service.name'];
  const serviceVersion = resourceAttributes['service.version'];
  if (serviceName !== undefined) note('service.name', serviceName, sources['resource: service.name'].from.slice(file.length + 2));
  if (serviceVersion !== undefined) note('service.version', serviceVersion, sources['resource: service.version'].from.slice(file.length + 2));
  delete resourceAttributes['service.name'];
  delete resourceAttributes['service.version'];
  delete sources['resource: service.name'];
  delete sources['resource: service.version'];

  const detection = (model.resource as Obj | undefined)?.['detection/development'] as Obj | undefined;
  const resourceDetectors = new Set<ResourceDetectorName>();
  for (const [i, d] of ((detection?.detectors as unknown[]) ?? []).entries()) {
    const [name] = single(d, `/resource/detection/development/detectors/${i}`, 'resource detector', Object.keys(DETECTORS));
    DETECTORS[name].forEach((x) => resourceDetectors.add(x));
  }
  note('resource detectors', [...resourceDetectors].join(',') || 'none', '/resource/detection/development');

  // Propagators: composite entries, then composite_list names not already there.
  const propagatorNames: string[] = [];
  for (const [i, p] of (model.propagator?.composite ?? []).entries()) {
    propagatorNames.push(single(p, `/propagator/composite/${i}`, 'propagator', PROPAGATORS)[0]);
  }
  for (const name of (model.propagator?.composite_list ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (name === 'none') continue;
    if (!(PROPAGATORS as readonly string[]).includes(name)) unknown('/propagator/composite_list', 'propagator', name, PROPAGATORS);
    if (!propagatorNames.includes(name)) propagatorNames.push(name);
  }
  const propagators = propagatorNames as PropagatorName[];
  note('propagators', propagators.join(',') || 'none', '/propagator');

  // Traces.
  const tp = model.tracer_provider;
  const agentJs = agentSettings(model, fail);
  const fileFormat = readFileFormat(agentJs, fail);
  const traceExporters: TraceExporterConfig[] = [];
  let firstBatch: { at: string; settings: Obj; batch: BatchConfig } | undefined;
  for (const [i, p] of (tp?.processors ?? []).entries()) {
    const at = `/tracer_provider/processors/${i}`;
    const [kind, settings] = single(p, at, 'span processor', ['batch', 'simple']);
    const batchConfig = kind === 'batch' ? batchSettings(settings, `${at}/batch`, fail) : undefined;
    const processor: SpanProcessorConfig = batchConfig ? { kind: 'batch', ...batchConfig } : { kind: 'simple' };
    if (batchConfig) firstBatch ??= { at: `${at}/batch`, settings, batch: batchConfig };
    const exporterAt = `${at}/${kind}/exporter`;
    const [exporterName, exporterSettings] = single(settings.exporter, exporterAt, 'span exporter', SPAN_EXPORTERS);
    const exporter = spanExporter(exporterName as keyof SpanExporterConfigModel & string, exporterSettings, `${exporterAt}/${exporterName}`, fileFormat, fail);
    sources[`traces.exporter.${traceExporters.length}`] = { value: exporterName, from: `${file}: ${exporterAt}/${exporterName}` };
    traceExporters.push({ ...exporter, processor });
  }
  note('traces.exporter', traceExporters.length > 0 ? traceExporters.map((e, i) => sources[`traces.exporter.${i}`].value).join(',') : 'none', tp ? '/tracer_provider/processors' : '/tracer_provider (not set: no traces)');
  // AgentConfig.batch (the delivery accounting's queue bound, doctor's rows) follows the first batch processor.
  const batch = firstBatch?.batch ?? { ...DEFAULT_BATCH };
  if (firstBatch) {
    const { at, settings } = firstBatch;
    const key = (k: string) => `${at}/${k}${settings[k] == null ? ' (not set)' : ''}`;
    note('batch: max queue size', String(batch.maxQueueSize), key('max_queue_size'));
    note('batch: max export batch size', String(batch.maxExportBatchSize), key('max_export_batch_size'));
    note('batch: schedule delay (ms)', String(batch.scheduledDelayMillis), key('schedule_delay'));
    note('batch: export timeout (ms)', String(batch.exportTimeoutMillis), key('export_timeout'));
  }

  const sampler = tp?.sampler ? readSampler(tp.sampler, '/tracer_provider/sampler', single, fail) : ({ kind: 'parentbased_always_on' } as const);
  note('sampler', describeSampler(sampler), tp?.sampler ? '/tracer_provider/sampler' : '/tracer_provider/sampler (not set)');

  // Span limits: tracer_provider.limits, then the general attribute_limits, then the defaults.
  const general = model.attribute_limits;
  const limits = tp?.limits;
  const limitFrom = (specific: unknown, key: string, generalKey?: string) =>
    specific != null ? `/tracer_provider/limits/${key}` : generalKey && (general as Obj | undefined)?.[generalKey] != null ? `/attribute_limits/${generalKey}` : `/tracer_provider/limits/${key} (not set)`;
  const spanLimits = {
    attributeValueLengthLimit: num(limits?.attribute_value_length_limit) ?? num(general?.attribute_value_length_limit),
    attributeCountLimit: num(limits?.attribute_count_limit) ?? num(general?.attribute_count_limit) ?? DEFAULT_COUNT_LIMIT,
    eventCountLimit: num(limits?.event_count_limit) ?? DEFAULT_COUNT_LIMIT,
    linkCountLimit: num(limits?.link_count_limit) ?? DEFAULT_COUNT_LIMIT,
    attributePerEventCountLimit: num(limits?.event_attribute_count_limit) ?? DEFAULT_COUNT_LIMIT,
    attributePerLinkCountLimit: num(limits?.link_attribute_count_limit) ?? DEFAULT_COUNT_LIMIT,
  };
  note('limit: span attribute count', String(spanLimits.attributeCountLimit), limitFrom(limits?.attribute_count_limit, 'attribute_count_limit', 'attribute_count_limit'));
  note('limit: span attribute length', String(spanLimits.attributeValueLengthLimit ?? 'unlimited'), limitFrom(limits?.attribute_value_length_limit, 'attribute_value_length_limit', 'attribute_value_length_limit'));
  note('limit: events per span', String(spanLimits.eventCountLimit), limitFrom(limits?.event_count_limit, 'event_count_limit'));
  note('limit: links per span', String(spanLimits.linkCountLimit), limitFrom(limits?.link_count_limit, 'link_count_limit'));
  note('limit: attributes per event', String(spanLimits.attributePerEventCountLimit), limitFrom(limits?.event_attribute_count_limit, 'event_attribute_count_limit'));
  note('limit: attributes per link', String(spanLimits.attributePerLinkCountLimit), limitFrom(limits?.link_attribute_count_limit, 'link_attribute_count_limit'));

  // Metrics and logs, as far as the agent exports them: OTLP and console push exporters.
  const metricsExporters = new Set<SignalExporter>();
  let metricsOtlp: SignalOtlpConfig | undefined;
  let metricsExportIntervalMillis: number | undefined;
  for (const [i, reader] of (model.meter_provider?.readers ?? []).entries()) {
    const at = `/meter_provider/readers/${i}`;
    const [, periodic] = single(reader, at, 'metric reader', ['periodic']);
    metricsExportIntervalMillis ??= num(periodic.interval);
    const [name, settings] = single(periodic.exporter, `${at}/periodic/exporter`, 'metric exporter', ['otlp_http', 'otlp_grpc', 'console']);
    if (name === 'console') metricsExporters.add('console');
    else {
      metricsExporters.add('otlp');
      metricsOtlp ??= signalOtlp(name, settings, `${at}/periodic/exporter/${name}`, '/v1/metrics', fail);
    }
  }
  note('metrics exporter', [...metricsExporters].join(',') || 'none', '/meter_provider');
  const logsExporters = new Set<SignalExporter>();
  let logsOtlp: SignalOtlpConfig | undefined;
  for (const [i, p] of (model.logger_provider?.processors ?? []).entries()) {
    const at = `/logger_provider/processors/${i}`;
    const [kind, settings] = single(p, at, 'log record processor', ['batch', 'simple']);
    const [name, exporterSettings] = single(settings.exporter, `${at}/${kind}/exporter`, 'log record exporter', ['otlp_http', 'otlp_grpc', 'console']);
    if (name === 'console') logsExporters.add('console');
    else {
      logsExporters.add('otlp');
      logsOtlp ??= signalOtlp(name, exporterSettings, `${at}/${kind}/exporter/${name}`, '/v1/logs', fail);
    }
  }
  note('logs exporter', [...logsExporters].join(',') || 'none', '/logger_provider');

  let logLevel = 0;
  if (model.log_level) logLevel = SEVERITY_LOG_LEVELS.find(([re]) => re.test(model.log_level as string))?.[1] ?? 0;
  note('log level', model.log_level ?? 'none', model.log_level ? '/log_level' : '/log_level (not set)');

  // Instrumentations: defaults, switched per id under js; their other keys are the constructor's options.
  const instrumentation = (model as Obj)['instrumentation/development'] as Obj | undefined;
  const js = (isObj(instrumentation?.js) ? instrumentation.js : {}) as Obj;
  const known = new Map(context.knownInstrumentations.map((i) => [i.id, i.defaultOn]));
  const enabledIds = new Set(context.knownInstrumentations.filter((i) => i.defaultOn).map((i) => i.id));
  const instrumentationOptions: Record<string, Record<string, unknown>> = {};
  const AGENT_HTTP_KEYS = ['excluded_urls', 'implementation'];
  for (const [id, value] of Object.entries(js)) {
    if (id === 'otel_agent') continue;
    const at = `/instrumentation/development/js/${id}`;
    if (!known.has(id)) fail(at, `unknown instrumentation "${showValue(id)}" (see the README for the list)`);
    const { enabled: on, ...rest } = (isObj(value) ? value : {}) as Obj;
    if (on !== undefined && typeof on !== 'boolean') fail(`${at}/enabled`, 'expected true or false');
    if (on === true) enabledIds.add(id);
    if (on === false) enabledIds.delete(id);
    if (id === 'http') AGENT_HTTP_KEYS.forEach((k) => delete rest[k]);
    if (id === 'undici') delete rest.implementation;
    if (id === 'express') delete rest.middleware_spans;
    if (Object.keys(rest).length > 0) instrumentationOptions[id] = rest;
  }
  const instrumentations = context.knownInstrumentations.map((i) => i.id).filter((id) => enabledIds.has(id));
  note('instrumentations', `${instrumentations.length} enabled`, Object.keys(js).some((k) => k !== 'otel_agent') ? '/instrumentation/development/js' : '/instrumentation/development/js (not set: defaults)');

  const http = readHttp(instrumentation, js, fail);

  // The agent's own settings.
  const a = agentJs ?? {};
  const agentAt = (key: string) => `${AGENT_SETTINGS_PATH}/${key}${a[key] === undefined ? ' (not set)' : ''}`;
  const flushTimeoutMillis = a.flush_timeout === undefined ? DEFAULT_FLUSH_TIMEOUT_MILLIS : intIn(a.flush_timeout, 0, 600_000, agentAt('flush_timeout'), fail);
  note('flush timeout (ms)', String(flushTimeoutMillis), agentAt('flush_timeout'));
  let processSpan: AgentConfig['processSpan'] = 'auto';
  if (a.process_span !== undefined) {
    const v = String(a.process_span).toLowerCase();
    processSpan = v === 'true' || v === 'on' ? 'on' : v === 'false' || v === 'off' ? 'off' : v === 'auto' ? 'auto' : fail(agentAt('process_span'), 'expected true, false or auto');
  }
  note('process span', processSpan, agentAt('process_span'));
  const processSpanName = a.process_span_name === undefined ? undefined : String(a.process_span_name);
  if (processSpanName !== undefined) note('process span name', processSpanName, agentAt('process_span_name'));
  const childProcessPropagation = a.child_process_propagation === undefined ? true : bool(a.child_process_propagation, agentAt('child_process_propagation'), fail);
  note('child process propagation', String(childProcessPropagation), agentAt('child_process_propagation'));
  const leanSpans = a.lean_spans === undefined ? true : bool(a.lean_spans, agentAt('lean_spans'), fail);
  note('lean spans', String(leanSpans), agentAt('lean_spans'));
  let functionSpans: AgentConfig['functionSpans'] = [];
  if (a.function_spans !== undefined) {
    const spec = Array.isArray(a.function_spans) ? a.function_spans.join(';') : String(a.function_spans);
    const parsed = parseFunctionSpans(spec);
    if (parsed.warnings.length > 0) fail(agentAt('function_spans'), parsed.warnings[0]);
    functionSpans = parsed.modules;
    note('function spans', `${functionSpans.length} module(s)`, agentAt('function_spans'));
  }
  const commandRulesFile = a.command_rules === undefined ? undefined : String(a.command_rules);
  if (commandRulesFile !== undefined) note('command rules file', commandRulesFile, agentAt('command_rules'));
  const redaction = readRedaction(a.redaction, agentAt('redaction'), fail);
  note('redaction', redaction.enabled ? 'on' : 'off', agentAt('redaction'));

  return {
    enabled,
    disabledBy: enabled ? undefined : `${file}: /disabled`,
    serviceName,
    serviceVersion,
    resourceAttributes,
    resourceDetectors: [...resourceDetectors],
    traceExporters,
    sampler,
    batch,
    spanLimits,
    propagators,
    instrumentations,
    metricsExporters: [...metricsExporters],
    logsExporters: [...logsExporters],
    logLevel: logLevel as DiagLogLevel,
    flushTimeoutMillis,
    processSpan,
    processSpanName,
    childProcessPropagation,
    leanSpans,
    functionSpans,
    commandRulesFile,
    redaction,
    sources,
    http,
    configFile: file,
    instrumentationOptions,
    metricsOtlp,
    logsOtlp,
    metricsProtocol: metricsOtlp?.protocol ?? 'http/protobuf',
    logsProtocol: logsOtlp?.protocol ?? 'http/protobuf',
    metricsExportIntervalMillis,
  };
}

type Fail = (at: string, message: string) => never;
type Single = (value: unknown, at: string, kind: string, known: readonly string[]) => [string, Obj];

function agentSettings(model: ConfigurationModel, fail: Fail): Obj | undefined {
  const js = ((model as Obj)['instrumentation/development'] as Obj | undefined)?.js as Obj | undefined;
  const agent = js?.otel_agent;
  if (agent === undefined || agent === null) return undefined;
  if (!isObj(agent)) return fail(AGENT_SETTINGS_PATH, 'expected a mapping');
  for (const key of Object.keys(agent)) if (!AGENT_KEYS.includes(key)) fail(`${AGENT_SETTINGS_PATH}/${key}`, `unknown agent setting "${showValue(key)}" (the agent knows ${AGENT_KEYS.join(', ')})`);
  return agent;
}

function readFileFormat(agent: Obj | undefined, fail: Fail): TraceFileFormat {
  const v = agent?.trace_file_format;
  if (v === undefined || v === 'jsonl') return 'jsonl';
  if (v === 'kops') return 'kops';
  return fail(`${AGENT_SETTINGS_PATH}/trace_file_format`, 'expected jsonl or kops');
}

function intIn(v: unknown, min: number, max: number, at: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) return fail(at, `expected an integer from ${min} to ${max}`);
  return v;
}

function bool(v: unknown, at: string, fail: Fail): boolean {
  if (typeof v !== 'boolean') return fail(at, 'expected true or false');
  return v;
}

function batchSettings(s: Obj, at: string, fail: Fail): BatchConfig {
  const maxQueueSize = num(s.max_queue_size) ?? DEFAULT_BATCH.maxQueueSize;
  // The default batch size follows a smaller queue; only an explicit conflict is an error.
  const maxExportBatchSize = num(s.max_export_batch_size) ?? Math.min(DEFAULT_BATCH.maxExportBatchSize, maxQueueSize);
  if (maxExportBatchSize > maxQueueSize) fail(`${at}/max_export_batch_size`, `${maxExportBatchSize} is larger than max_queue_size ${maxQueueSize}`);
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: num(s.schedule_delay) ?? DEFAULT_BATCH.scheduledDelayMillis,
    exportTimeoutMillis: noLimitAsMax(num(s.export_timeout)) ?? DEFAULT_BATCH.exportTimeoutMillis,
  };
}

/** headers (name/value pairs) win over headers_list (`k=v,...`, percent-encoded), as upstream merges them. */
function headersOf(s: NonNullable<OtlpHttpExporterConfigModel> | NonNullable<OtlpGrpcExporterConfigModel>, at: string, fail: Fail): Record<string, string> {
  const parsed = parseKeyValueList(s.headers_list ?? '');
  if (parsed.malformed.length > 0) fail(`${at}/headers_list`, 'malformed entry (expected key=value); values are not shown');
  if (parsed.badEncoding.length > 0) fail(`${at}/headers_list`, 'an entry is not percent-encoded correctly');
  const out: Record<string, string> = parsed.values;
  for (const h of s.headers ?? []) if (h.value !== null) out[h.name] = h.value;
  return out;
}

function otlpCommon(name: string, s: Obj, at: string, fail: Fail): Omit<OtlpExporterConfig, 'kind' | 'url'> & { url?: string } {
  const settings = s as NonNullable<OtlpHttpExporterConfigModel> & NonNullable<OtlpGrpcExporterConfigModel>;
  const compression = settings.compression ?? 'none';
  if (compression !== 'gzip' && compression !== 'none') fail(`${at}/compression`, `"${showValue(compression)}" is not gzip or none`);
  const url = settings.endpoint ?? undefined;
  if (url !== undefined) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      fail(`${at}/endpoint`, 'expected an http:// or https:// URL');
    }
  }
  return {
    protocol: name === 'otlp_grpc' ? 'grpc' : settings.encoding === 'json' ? 'http/json' : 'http/protobuf',
    url,
    headers: headersOf(settings, at, fail),
    timeoutMillis: noLimitAsMax(num(settings.timeout)) ?? DEFAULT_OTLP_TIMEOUT_MILLIS,
    compression: compression as 'gzip' | 'none',
    ...tlsOf(settings),
  };
}

/** The exporter's `tls` block (ca_file, cert_file, key_file): file paths, read by the exporter. */
function tlsOf(settings: object): { tls?: OtlpTlsFiles } {
  const block = (settings as { tls?: { ca_file?: string | null; cert_file?: string | null; key_file?: string | null } | null }).tls;
  if (!block) return {};
  const tls: OtlpTlsFiles = {};
  if (block.ca_file) tls.ca = block.ca_file;
  if (block.cert_file) tls.cert = block.cert_file;
  if (block.key_file) tls.key = block.key_file;
  return Object.keys(tls).length > 0 ? { tls } : {};
}

function spanExporter(name: string, s: Obj, at: string, format: TraceFileFormat, fail: Fail): TraceExporterConfig {
  switch (name) {
    case 'otlp_http':
    case 'otlp_grpc': {
      const c = otlpCommon(name, s, at, fail);
      return { kind: 'otlp', ...c, url: c.url ?? (name === 'otlp_grpc' ? DEFAULT_GRPC_URL : DEFAULT_HTTP_TRACES_URL) };
    }
    case 'console':
      return { kind: 'console' };
    default: {
      // otlp_file/development: stdout, file:///path, or file:///dir/ (one file per process).
      const stream = typeof s.output_stream === 'string' ? s.output_stream : 'stdout';
      const sourceVariable = `${at}/output_stream`;
      if (stream === 'stdout') return { kind: 'file', target: { kind: 'stdout' }, format: 'jsonl', sourceVariable };
      let filePath: string;
      try {
        filePath = (require('node:url') as typeof import('node:url')).fileURLToPath(stream);
      } catch {
        return fail(sourceVariable, `"${showValue(stream)}" is not stdout or a file:// URL`);
      }
      return stream.endsWith('/')
        ? { kind: 'file', target: { kind: 'dir', dir: filePath }, format, sourceVariable }
        : { kind: 'file', target: { kind: 'file', path: filePath }, format, sourceVariable };
    }
  }
}

function signalOtlp(name: string, s: Obj, at: string, path: string, fail: Fail): SignalOtlpConfig {
  const c = otlpCommon(name, s, at, fail);
  return { ...c, url: c.url ?? (name === 'otlp_grpc' ? DEFAULT_GRPC_URL : `${DEFAULT_OTLP_HTTP_ENDPOINT}${path}`) };
}

function readSampler(model: SamplerConfigModel, at: string, single: Single, fail: Fail): SamplerConfig {
  const [name, s] = single(model, at, 'sampler', SAMPLERS);
  switch (name) {
    case 'always_on':
      return { kind: 'always_on' };
    case 'always_off':
      return { kind: 'always_off' };
    case 'trace_id_ratio_based': {
      const ratio = num(s.ratio) ?? 1;
      if (!(ratio >= 0 && ratio <= 1)) fail(`${at}/trace_id_ratio_based/ratio`, 'expected a number from 0 to 1');
      return { kind: 'traceidratio', ratio };
    }
    default: {
      const branch = (key: string) => (s[key] == null ? undefined : readSampler(s[key] as SamplerConfigModel, `${at}/parent_based/${key}`, single, fail));
      return {
        kind: 'parent_based',
        root: branch('root') ?? { kind: 'always_on' },
        remoteParentSampled: branch('remote_parent_sampled'),
        remoteParentNotSampled: branch('remote_parent_not_sampled'),
        localParentSampled: branch('local_parent_sampled'),
        localParentNotSampled: branch('local_parent_not_sampled'),
      };
    }
  }
}

export function describeSampler(s: SamplerConfig): string {
  switch (s.kind) {
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return `${s.kind} ${s.ratio}`;
    case 'parent_based': {
      const parts = [`root=${describeSampler(s.root)}`];
      const b: [string, SamplerConfig | undefined][] = [
        ['remote_parent_sampled', s.remoteParentSampled],
        ['remote_parent_not_sampled', s.remoteParentNotSampled],
        ['local_parent_sampled', s.localParentSampled],
        ['local_parent_not_sampled', s.localParentNotSampled],
      ];
      for (const [k, v] of b) if (v) parts.push(`${k}=${describeSampler(v)}`);
      return `parent_based(${parts.join(', ')})`;
    }
    default:
      return s.kind;
  }
}

function readHttp(instrumentation: Obj | undefined, js: Obj, fail: Fail): HttpConfig {
  const general = isObj(instrumentation?.general) ? instrumentation.general : {};
  const http = isObj(general.http) ? general.http : {};
  const side = (key: 'client' | 'server') => (isObj(http[key]) ? (http[key] as Obj) : {});
  const names = (v: unknown) => (Array.isArray(v) ? v.map((n) => String(n).trim().toLowerCase()).filter((n) => n !== '') : []);
  const jsHttp = isObj(js.http) ? js.http : {};
  const excluded = jsHttp.excluded_urls ?? [];
  const at = '/instrumentation/development/js/http';
  if (!Array.isArray(excluded)) fail(`${at}/excluded_urls`, 'expected a list of regular expressions');
  for (const [i, source] of (excluded as unknown[]).entries()) {
    try {
      new RegExp(String(source));
    } catch {
      fail(`${at}/excluded_urls/${i}`, `"${showValue(String(source))}" is not a regular expression`);
    }
  }
  const implementation = jsHttp.implementation ?? 'agent';
  if (implementation !== 'agent' && implementation !== 'upstream') fail(`${at}/implementation`, 'expected agent or upstream');
  const jsUndici = isObj(js.undici) ? js.undici : {};
  const undiciImplementation = jsUndici.implementation ?? 'agent';
  if (undiciImplementation !== 'agent' && undiciImplementation !== 'upstream') fail('/instrumentation/development/js/undici/implementation', 'expected agent or upstream');
  const express = isObj(js.express) ? js.express : {};
  return {
    excludedUrls: (excluded as unknown[]).map(String),
    captureHeaders: {
      serverRequest: names(side('server').request_captured_headers),
      serverResponse: names(side('server').response_captured_headers),
      clientRequest: names(side('client').request_captured_headers),
      clientResponse: names(side('client').response_captured_headers),
    },
    implementation: implementation as 'agent' | 'upstream',
    undiciImplementation: undiciImplementation as 'agent' | 'upstream',
    expressMiddlewareSpans: express.middleware_spans === undefined ? false : bool(express.middleware_spans, '/instrumentation/development/js/express/middleware_spans', fail),
  };
}

/** Only `enabled: false` turns redaction off, never by accident; extra_flags are added to the built-in list. */
function readRedaction(v: unknown, at: string, fail: Fail): AgentConfig['redaction'] {
  if (v === undefined) return { enabled: true, extraFlags: [] };
  if (!isObj(v)) return fail(at, 'expected a mapping with enabled and extra_flags');
  for (const key of Object.keys(v)) if (key !== 'enabled' && key !== 'extra_flags') fail(`${at}/${key}`, 'unknown redaction setting (the agent knows enabled, extra_flags)');
  const enabled = v.enabled === undefined ? true : bool(v.enabled, `${at}/enabled`, fail);
  const flags = v.extra_flags ?? [];
  if (!Array.isArray(flags)) fail(`${at}/extra_flags`, 'expected a list of flags');
  return { enabled, extraFlags: (flags as unknown[]).map(String) };
}

/** The schema's 0 means "no limit"; the transport and timers need a number: the largest a timer takes. */
function noLimitAsMax(ms: number | undefined): number | undefined {
  return ms === 0 ? 2_147_483_647 : ms;
}
