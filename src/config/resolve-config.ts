// resolveConfig: a pure function from an environment (and startAgent options) to the agent's typed config.
import type { DiagLogLevel } from '@opentelemetry/api';
import { EnvReader, type Env } from './env-reader';
import { parseFunctionSpans } from '../instrumentations/function-spans/spec';
import { readHttp } from './http';
import { misspelledVariables } from './misspelled';
import { DEFAULT_BATCH, DEFAULT_COUNT_LIMIT, DEFAULT_FLUSH_TIMEOUT_MILLIS, LOG_LEVELS } from './defaults';
import { readKarSettings, readTraceExporters } from './trace-exporters';
import {
  CLOUD_RESOURCE_DETECTORS,
  LOCAL_RESOURCE_DETECTORS,
  type AgentConfig,
  type AgentOptions,
  type ConfigContext,
  type OtlpProtocol,
  type PropagatorName,
  type ResolvedConfig,
  type ResourceDetectorName,
  type SamplerConfig,
  type SignalExporter,
} from './types';

const KAR_DEFAULT_SERVICE_NAME = 'kubevirt-actions-runner';
const KAR_DEFAULT_SERVICE_VERSION = 'unknown';

export function resolveConfig(env: Env, context: ConfigContext, options: AgentOptions = {}): ResolvedConfig {
  // OTEL_CONFIG_FILE: the file is the whole configuration; variables count only through its ${VAR}
  // substitution. Its parser (yaml, the schema validator) loads only here.
  const file = env.OTEL_CONFIG_FILE?.trim();
  if (file) {
    const { resolveFromFile } = require('./config-file') as typeof import('./config-file');
    const resolved = resolveFromFile(file, env, context, () => build(new EnvReader({}), context, {}));
    if (Object.keys(options).length > 0) resolved.warnings.push(`startAgent options are ignored: OTEL_CONFIG_FILE=${file} is the configuration`);
    resolved.warnings.push(...misspelledVariables(env));
    return resolved;
  }
  const r = new EnvReader(env);
  const config = build(r, context, options);
  return { config, warnings: [...r.warnings, ...misspelledVariables(env)], rejected: [...r.rejected] };
}

function build(r: EnvReader, context: ConfigContext, options: AgentOptions): AgentConfig {
  const logLevel = readLogLevel(r);

  // On/off: OTEL_SDK_DISABLED is the standard switch and wins over the runner's KAR_TELEMETRY_ENABLED.
  const sdkDisabled = r.boolean('OTEL_SDK_DISABLED');
  const karEnabled = r.boolean('KAR_TELEMETRY_ENABLED');
  let enabled = true;
  let disabledBy: string | undefined;
  if (sdkDisabled === true) {
    enabled = false;
    disabledBy = 'OTEL_SDK_DISABLED=true';
  } else if (karEnabled === false && sdkDisabled !== false) {
    enabled = false;
    disabledBy = 'KAR_TELEMETRY_ENABLED=false';
  }
  const kar = karEnabled === true ? readKarSettings(r) : undefined;
  if (karEnabled === undefined) {
    const stray = ['KAR_TELEMETRY_EXPORT_TYPE', 'KAR_TELEMETRY_OTLP_ENDPOINT', 'KAR_TELEMETRY_SERVICE_NAME', 'KAR_TELEMETRY_SERVICE_VERSION'].filter((n) => r.has(n));
    if (stray.length > 0) r.warn(`${stray.join(', ')} ignored: KAR_TELEMETRY_ENABLED is not "true"`);
  }

  // Resource: OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME, then the runner's names; package.json fills gaps later.
  const resourceAttributes = r.keyValues('OTEL_RESOURCE_ATTRIBUTES');
  let serviceName: string | undefined = options.serviceName;
  let serviceVersion: string | undefined = options.serviceVersion;
  const nameFrom = (from: string) => (serviceName !== undefined ? from : undefined);
  let serviceNameFrom = nameFrom('option');
  serviceName ??= r.string('OTEL_SERVICE_NAME');
  serviceNameFrom ??= nameFrom('OTEL_SERVICE_NAME');
  serviceName ??= resourceAttributes['service.name'];
  serviceNameFrom ??= nameFrom('OTEL_RESOURCE_ATTRIBUTES');
  serviceVersion ??= resourceAttributes['service.version'];
  if (kar) {
    serviceNameFrom ??= r.has('KAR_TELEMETRY_SERVICE_NAME') ? 'KAR_TELEMETRY_SERVICE_NAME' : 'default (KubeVirt runner)';
    serviceName ??= r.string('KAR_TELEMETRY_SERVICE_NAME') ?? KAR_DEFAULT_SERVICE_NAME;
    serviceVersion ??= r.string('KAR_TELEMETRY_SERVICE_VERSION') ?? KAR_DEFAULT_SERVICE_VERSION;
  }
  delete resourceAttributes['service.name'];
  delete resourceAttributes['service.version'];
  if (options.environment !== undefined) resourceAttributes['deployment.environment.name'] = options.environment;
  if (serviceName !== undefined) r.note('service.name', serviceName, serviceNameFrom ?? 'default');

  const traceExporters = readTraceExporters(r, kar, options);
  const batch = readBatch(r, options);

  return {
    enabled,
    disabledBy,
    serviceName,
    serviceVersion,
    resourceAttributes,
    resourceDetectors: readDetectors(r),
    traceExporters,
    sampler: readSampler(r, options),
    batch,
    spanLimits: readSpanLimits(r),
    propagators: readPropagators(r),
    instrumentations: readInstrumentations(r, context, options),
    metricsExporters: readSignalExporters(r, 'OTEL_METRICS_EXPORTER'),
    logsExporters: readSignalExporters(r, 'OTEL_LOGS_EXPORTER'),
    metricsProtocol: signalProtocol(r.string('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') ?? r.string('OTEL_EXPORTER_OTLP_PROTOCOL')),
    logsProtocol: signalProtocol(r.string('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL') ?? r.string('OTEL_EXPORTER_OTLP_PROTOCOL')),
    logLevel,
    flushTimeoutMillis: options.flushTimeoutMillis ?? r.integer('OTEL_AGENT_FLUSH_TIMEOUT', 0, 600_000) ?? DEFAULT_FLUSH_TIMEOUT_MILLIS,
    processSpan: readProcessSpan(r),
    processSpanName: r.string('OTEL_AGENT_PROCESS_SPAN_NAME'),
    childProcessPropagation: r.boolean('OTEL_AGENT_CHILD_PROCESS_PROPAGATION') ?? true,
    leanSpans: r.boolean('OTEL_AGENT_LEAN_SPANS') ?? true,
    functionSpans: readFunctionSpans(r),
    commandRulesFile: r.string('OTEL_AGENT_COMMAND_RULES'),
    redaction: readRedaction(r),
    http: readHttp(r),
    sources: r.sources,
  };
}

function readProcessSpan(r: EnvReader): AgentConfig['processSpan'] {
  const value = r.string('OTEL_AGENT_PROCESS_SPAN')?.toLowerCase();
  if (value === undefined || value === 'auto') return 'auto';
  if (value === 'true' || value === 'on') return 'on';
  if (value === 'false' || value === 'off') return 'off';
  r.invalid('OTEL_AGENT_PROCESS_SPAN', value, 'true, false or auto', 'auto');
  return 'auto';
}

function readFunctionSpans(r: EnvReader): AgentConfig['functionSpans'] {
  const { modules, warnings } = parseFunctionSpans(r.string('OTEL_AGENT_FUNCTION_SPANS'));
  warnings.forEach((w) => r.warn(w));
  return modules;
}

/** Redaction is tuned with extra flags; only the exact value "off" turns it off, never by accident. */
function readRedaction(r: EnvReader): AgentConfig['redaction'] {
  const extraFlags = (r.string('OTEL_AGENT_REDACT_FLAGS') ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');
  const mode = r.string('OTEL_AGENT_REDACTION');
  if (mode === 'off') {
    r.warn('OTEL_AGENT_REDACTION=off: command lines, captured HTTP headers, token-like URL query values and exception messages are recorded without redaction; secrets in them will be exported');
    return { enabled: false, extraFlags };
  }
  if (mode !== undefined && mode !== 'on') r.invalid('OTEL_AGENT_REDACTION', mode, 'on or off (exactly)', 'on');
  return { enabled: true, extraFlags };
}

function readLogLevel(r: EnvReader): DiagLogLevel {
  const value = r.string('OTEL_LOG_LEVEL')?.toLowerCase();
  if (value === undefined) return LOG_LEVELS.none;
  const level = LOG_LEVELS[value];
  if (level === undefined) {
    r.invalid('OTEL_LOG_LEVEL', value, `one of ${Object.keys(LOG_LEVELS).join(', ')}`, 'none');
    return LOG_LEVELS.none;
  }
  return level;
}

function readDetectors(r: EnvReader): ResourceDetectorName[] {
  const list = r.list('OTEL_NODE_RESOURCE_DETECTORS');
  if (list === undefined) return [...LOCAL_RESOURCE_DETECTORS];
  if (list.includes('none')) return [];
  const known: readonly string[] = [...LOCAL_RESOURCE_DETECTORS, ...CLOUD_RESOURCE_DETECTORS];
  const out = new Set<ResourceDetectorName>();
  const unknown: string[] = [];
  for (const name of list) {
    if (name === 'all') known.forEach((k) => out.add(k as ResourceDetectorName));
    else if (known.includes(name)) out.add(name as ResourceDetectorName);
    else unknown.push(name);
  }
  r.invalidItems('OTEL_NODE_RESOURCE_DETECTORS', unknown, `one of all, none, ${known.join(', ')}`, 'no detector for it');
  return [...out];
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

function readSampler(r: EnvReader, options: AgentOptions): SamplerConfig {
  if (options.samplingRate !== undefined) {
    const ratio = options.samplingRate;
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`samplingRate ${ratio} is not between 0 and 1`);
    r.note('sampler', `parentbased_traceidratio ${ratio}`, 'option');
    return { kind: 'parentbased_traceidratio', ratio };
  }
  const name = r.string('OTEL_TRACES_SAMPLER')?.toLowerCase();
  let kind = 'parentbased_always_on';
  if (name !== undefined) {
    if (SAMPLERS.includes(name)) kind = name;
    else r.invalid('OTEL_TRACES_SAMPLER', name, `one of ${SAMPLERS.join(', ')}`, 'parentbased_always_on');
  }
  if (kind === 'traceidratio' || kind === 'parentbased_traceidratio') {
    const arg = r.string('OTEL_TRACES_SAMPLER_ARG');
    let ratio = 1;
    if (arg !== undefined) {
      const n = /^\s*[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(arg) ? Number(arg) : NaN;
      if (n >= 0 && n <= 1) ratio = n;
      else r.invalid('OTEL_TRACES_SAMPLER_ARG', arg, 'a number from 0 to 1', '1');
    }
    r.note('sampler', `${kind} ${ratio}`, 'OTEL_TRACES_SAMPLER');
    return { kind, ratio };
  }
  r.note('sampler', kind, name !== undefined ? 'OTEL_TRACES_SAMPLER' : 'default');
  return { kind: kind as 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' };
}

function readBatch(r: EnvReader, options: AgentOptions): AgentConfig['batch'] {
  const maxQueueSize = options.maxQueueSize ?? r.integer('OTEL_BSP_MAX_QUEUE_SIZE', 1, 10_000_000) ?? DEFAULT_BATCH.maxQueueSize;
  let maxExportBatchSize = options.maxExportBatchSize ?? r.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1, 10_000_000) ?? DEFAULT_BATCH.maxExportBatchSize;
  if (maxExportBatchSize > maxQueueSize) {
    r.warn(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is larger than OTEL_BSP_MAX_QUEUE_SIZE=${maxQueueSize}; using ${maxQueueSize}`);
    maxExportBatchSize = maxQueueSize;
  }
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: options.scheduledDelayMillis ?? r.integer('OTEL_BSP_SCHEDULE_DELAY', 0, 3_600_000) ?? DEFAULT_BATCH.scheduledDelayMillis,
    exportTimeoutMillis: options.exportTimeoutMillis ?? r.integer('OTEL_BSP_EXPORT_TIMEOUT', 1, 3_600_000) ?? DEFAULT_BATCH.exportTimeoutMillis,
  };
}

function readSpanLimits(r: EnvReader): AgentConfig['spanLimits'] {
  const generalCount = r.integer('OTEL_ATTRIBUTE_COUNT_LIMIT');
  const generalLength = r.integer('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT');
  return {
    attributeValueLengthLimit: r.integer('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? generalLength,
    attributeCountLimit: r.integer('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? generalCount ?? DEFAULT_COUNT_LIMIT,
    eventCountLimit: r.integer('OTEL_SPAN_EVENT_COUNT_LIMIT') ?? DEFAULT_COUNT_LIMIT,
    linkCountLimit: r.integer('OTEL_SPAN_LINK_COUNT_LIMIT') ?? DEFAULT_COUNT_LIMIT,
    attributePerEventCountLimit: r.integer('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT') ?? DEFAULT_COUNT_LIMIT,
    attributePerLinkCountLimit: r.integer('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT') ?? DEFAULT_COUNT_LIMIT,
  };
}

function readPropagators(r: EnvReader): PropagatorName[] {
  const list = r.list('OTEL_PROPAGATORS');
  if (list === undefined) return ['tracecontext', 'baggage'];
  if (list.includes('none')) return [];
  const out = new Set<PropagatorName>();
  const unknown: string[] = [];
  let jaeger = false;
  for (const name of list) {
    if (name === 'tracecontext' || name === 'baggage' || name === 'b3' || name === 'b3multi') out.add(name);
    else if (name === 'jaeger') {
      if (!jaeger) r.warn('OTEL_PROPAGATORS=jaeger mapped to tracecontext,baggage (the Jaeger propagator is not part of OpenTelemetry JS SDK 3)');
      jaeger = true;
      out.add('tracecontext').add('baggage');
    } else unknown.push(name);
  }
  const expected = 'tracecontext, baggage, b3, b3multi, jaeger or none';
  if (out.size === 0) {
    r.invalid('OTEL_PROPAGATORS', unknown.join(','), expected, 'tracecontext,baggage');
    return ['tracecontext', 'baggage'];
  }
  if (unknown.length > 0) r.invalid('OTEL_PROPAGATORS', unknown.join(','), expected, `only ${[...out].join(',')}`);
  return [...out];
}

function readInstrumentations(r: EnvReader, context: ConfigContext, options: AgentOptions): string[] {
  const known = new Set(context.knownInstrumentations.map((i) => i.id));
  const check = (name: string, ids: string[]) => {
    const unknown = ids.filter((id) => !known.has(id));
    r.warnItems(name, unknown, 'names an unknown instrumentation', (n) => `names ${n} unknown instrumentations`, '; it is ignored (see the README for the list)');
    return ids.filter((id) => known.has(id));
  };
  const enabledList = options.instrumentations ?? r.list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const enabled = enabledList
    ? check('OTEL_NODE_ENABLED_INSTRUMENTATIONS', enabledList)
    : context.knownInstrumentations.filter((i) => i.defaultOn).map((i) => i.id);
  const disabled = new Set(check('OTEL_NODE_DISABLED_INSTRUMENTATIONS', r.list('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []));
  return [...new Set(enabled)].filter((id) => !disabled.has(id));
}

/** The metric and log exporters' protocol; anything else is upstream's default (the trace exporter's reading warns about bad values). */
function signalProtocol(value: string | undefined): OtlpProtocol {
  return value === 'grpc' || value === 'http/json' ? value : 'http/protobuf';
}

function readSignalExporters(r: EnvReader, name: string): SignalExporter[] {
  const list = r.list(name);
  if (list === undefined || list.includes('none')) return [];
  const out = new Set<SignalExporter>();
  const unknown: string[] = [];
  for (const value of list) {
    if (value === 'otlp' || value === 'console') out.add(value);
    else unknown.push(value);
  }
  r.invalidItems(name, unknown, 'one of otlp, console, none', 'no exporter for it');
  return [...out];
}
