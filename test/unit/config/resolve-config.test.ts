// Unit tests of resolveConfig: every variable, precedence rule and bad value.
import { describe, expect, it } from 'vitest';
import { resolveConfig, type AgentOptions, type OtlpExporterConfig } from '../../../src/config';

const known = [
  { id: 'http', defaultOn: true },
  { id: 'express', defaultOn: true },
  { id: 'fs', defaultOn: false },
];

function resolve(env: Record<string, string>, options?: AgentOptions) {
  return resolveConfig(env, { knownInstrumentations: known }, options);
}
const otlp = (env: Record<string, string>, options?: AgentOptions) => {
  const { config } = resolve(env, options);
  const exporter = config.traceExporters.find((e) => e.kind === 'otlp');
  if (!exporter) throw new Error(`no otlp exporter in ${JSON.stringify(config.traceExporters)}`);
  return exporter as OtlpExporterConfig;
};

describe('defaults', () => {
  it('exports OTLP http/protobuf to localhost:4318 with W3C propagation and a parent-based sampler', () => {
    const { config, warnings } = resolve({});
    expect(warnings).toEqual([]);
    expect(config.enabled).toBe(true);
    expect(config.traceExporters).toEqual([
      { kind: 'otlp', protocol: 'http/protobuf', url: 'http://localhost:4318/v1/traces', headers: {}, timeoutMillis: 10000, compression: 'none' },
    ]);
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
    expect(config.sampler).toEqual({ kind: 'parentbased_always_on' });
    expect(config.batch).toEqual({ maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: 30000 });
    expect(config.resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'serviceinstance', 'container', 'ci']);
    expect(config.instrumentations).toEqual(['http', 'express']);
    expect(config.metricsExporters).toEqual([]);
    expect(config.logsExporters).toEqual([]);
    expect(config.flushTimeoutMillis).toBe(2000);
    expect(config.serviceName).toBeUndefined();
  });
});

describe('OTLP exporter', () => {
  it('appends /v1/traces to the generic endpoint (seed 001: the endpoint alone is enough)', () => {
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).url).toBe('http://collector:4318/v1/traces');
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).url).toBe('http://collector:4318/v1/traces');
  });
  it('uses the traces endpoint as is and prefers it over the generic one', () => {
    expect(otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' }).url).toBe('http://b:9999/custom');
  });
  it('uses the gRPC default port and no path for grpc', () => {
    expect(otlp({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({ protocol: 'grpc', url: 'http://localhost:4317' });
    expect(otlp({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' }).url).toBe('http://c:4317');
  });
  it('prefers the signal-specific protocol, timeout and compression', () => {
    const e = otlp({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
    });
    expect(e).toMatchObject({ protocol: 'http/json', timeoutMillis: 2500, compression: 'gzip', url: 'http://localhost:4318/v1/traces' });
  });
  it('merges headers, signal-specific keys winning, percent-decoded', () => {
    const e = otlp({ OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=x%20y', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=2' });
    expect(e.headers).toEqual({ a: '1', b: '2' });
  });
  it('startAgent options win over variables', () => {
    const e = otlp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env2:1/x' }, { endpoint: 'http://opt:4318', protocol: 'http/json', headers: { k: 'v' } });
    expect(e).toMatchObject({ url: 'http://opt:4318/v1/traces', protocol: 'http/json', headers: { k: 'v' } });
  });
});

describe('exporter selection', () => {
  it('builds every listed exporter', () => {
    const { config } = resolve({ OTEL_TRACES_EXPORTER: 'otlp, console ,zipkin' });
    expect(config.traceExporters.map((e) => e.kind)).toEqual(['otlp', 'console', 'zipkin']);
    expect(config.traceExporters[2]).toEqual({ kind: 'zipkin', url: 'http://localhost:9411/api/v2/spans' });
  });
  it('none builds no pipeline', () => {
    expect(resolve({ OTEL_TRACES_EXPORTER: 'none' }).config.traceExporters).toEqual([]);
  });
  it('otlp/stdout writes JSON Lines to stdout', () => {
    expect(resolve({ OTEL_TRACES_EXPORTER: 'otlp/stdout' }).config.traceExporters).toEqual([
      { kind: 'file', target: { kind: 'stdout' }, format: 'jsonl', sourceVariable: 'OTEL_TRACES_EXPORTER' },
    ]);
  });
  it('kops: a traces file variable alone selects file output', () => {
    expect(resolve({ OTEL_EXPORTER_OTLP_TRACES_FILE: '/tmp/trace' }).config.traceExporters).toEqual([
      { kind: 'file', target: { kind: 'file', path: '/tmp/trace' }, format: 'jsonl', sourceVariable: 'OTEL_EXPORTER_OTLP_TRACES_FILE' },
    ]);
    expect(resolve({ OTEL_EXPORTER_OTLP_FILE: '/tmp/t2' }).config.traceExporters[0]).toMatchObject({ target: { path: '/tmp/t2' } });
    expect(resolve({ OTEL_EXPORTER_OTLP_TRACES_FILE: '/a', OTEL_EXPORTER_OTLP_FILE: '/b' }).config.traceExporters[0]).toMatchObject({ target: { path: '/a' } });
  });
  it('kops: a directory variable writes one file per process; the kops format is selectable', () => {
    const { config } = resolve({ OTEL_EXPORTER_OTLP_TRACES_DIR: '/tmp/traces', OTEL_AGENT_TRACE_FILE_FORMAT: 'kops' });
    expect(config.traceExporters).toEqual([{ kind: 'file', target: { kind: 'dir', dir: '/tmp/traces' }, format: 'kops', sourceVariable: 'OTEL_EXPORTER_OTLP_TRACES_DIR' }]);
    expect(resolve({ OTEL_EXPORTER_OTLP_DIR: '/d' }).config.traceExporters[0]).toMatchObject({ target: { kind: 'dir', dir: '/d' } });
  });
  it('kops file plus an explicit OTLP endpoint exports to both', () => {
    const kinds = resolve({ OTEL_EXPORTER_OTLP_TRACES_FILE: '/tmp/t', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config.traceExporters.map((e) => e.kind);
    expect(kinds).toEqual(['file', 'otlp']);
  });
  it('otlp/file uses the file variables', () => {
    const { config } = resolve({ OTEL_TRACES_EXPORTER: 'otlp/file,otlp', OTEL_EXPORTER_OTLP_TRACES_FILE: '/x' });
    expect(config.traceExporters.map((e) => e.kind)).toEqual(['file', 'otlp']);
  });
});

describe('KubeVirt actions runner variables (seed 000)', () => {
  it('KAR_TELEMETRY_ENABLED=false turns the agent off', () => {
    const { config } = resolve({ KAR_TELEMETRY_ENABLED: 'false' });
    expect(config.enabled).toBe(false);
    expect(config.disabledBy).toBe('KAR_TELEMETRY_ENABLED=false');
  });
  it('applies the seed defaults when enabled', () => {
    const { config, warnings } = resolve({ KAR_TELEMETRY_ENABLED: 'true' });
    expect(warnings).toEqual([]);
    expect(config.serviceName).toBe('kubevirt-actions-runner');
    expect(config.serviceVersion).toBe('unknown');
    expect(config.traceExporters[0]).toMatchObject({ kind: 'otlp', url: 'http://localhost:4318/v1/traces' });
  });
  it('maps export type, endpoint, service name and version', () => {
    const { config } = resolve({
      KAR_TELEMETRY_ENABLED: 'true',
      KAR_TELEMETRY_EXPORT_TYPE: 'otlp',
      KAR_TELEMETRY_OTLP_ENDPOINT: 'http://jaeger-collector:4318',
      KAR_TELEMETRY_SERVICE_NAME: 'my-runner-service',
      KAR_TELEMETRY_SERVICE_VERSION: '1.0.0',
    });
    expect(config.traceExporters).toEqual([expect.objectContaining({ kind: 'otlp', url: 'http://jaeger-collector:4318/v1/traces' })]);
    expect(config.serviceName).toBe('my-runner-service');
    expect(config.serviceVersion).toBe('1.0.0');
    expect(config.sources['service.name']).toEqual({ value: 'my-runner-service', from: 'KAR_TELEMETRY_SERVICE_NAME' });
  });
  it('stdout export type prints to the console', () => {
    expect(resolve({ KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_EXPORT_TYPE: 'stdout' }).config.traceExporters).toEqual([{ kind: 'console' }]);
  });
  it('standard variables win over KAR ones', () => {
    const { config } = resolve({
      KAR_TELEMETRY_ENABLED: 'true',
      KAR_TELEMETRY_EXPORT_TYPE: 'stdout',
      KAR_TELEMETRY_OTLP_ENDPOINT: 'http://kar:4318',
      KAR_TELEMETRY_SERVICE_NAME: 'kar-name',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
      OTEL_SERVICE_NAME: 'otel-name',
    });
    expect(config.traceExporters).toEqual([expect.objectContaining({ kind: 'otlp', url: 'http://otel:4318/v1/traces' })]);
    expect(config.serviceName).toBe('otel-name');
  });
  it('OTEL_SDK_DISABLED wins in both directions', () => {
    expect(resolve({ KAR_TELEMETRY_ENABLED: 'true', OTEL_SDK_DISABLED: 'true' }).config.enabled).toBe(false);
    expect(resolve({ KAR_TELEMETRY_ENABLED: 'false', OTEL_SDK_DISABLED: 'false' }).config.enabled).toBe(true);
  });
  it('warns when KAR settings are given without KAR_TELEMETRY_ENABLED=true', () => {
    const { config, warnings } = resolve({ KAR_TELEMETRY_SERVICE_NAME: 'x' });
    expect(config.serviceName).toBeUndefined();
    expect(warnings).toEqual(['KAR_TELEMETRY_SERVICE_NAME ignored: KAR_TELEMETRY_ENABLED is not "true"']);
  });
});

describe('legacy Jaeger settings (seeds 002, 003)', () => {
  it('maps the Jaeger collector endpoint and basic auth to OTLP on the same host, with one warning', () => {
    const { config, warnings } = resolve({
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://jaeger.example:14268/api/traces',
      OTEL_EXPORTER_JAEGER_USER: 'alice',
      OTEL_EXPORTER_JAEGER_PASSWORD: 's3cret',
    });
    expect(config.traceExporters).toEqual([
      expect.objectContaining({
        kind: 'otlp',
        protocol: 'http/protobuf',
        url: 'http://jaeger.example:4318/v1/traces',
        headers: { Authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` },
      }),
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('OTEL_TRACES_EXPORTER=jaeger -> otlp');
    expect(warnings[0]).toContain('http://jaeger.example:14268/api/traces -> http://jaeger.example:4318/v1/traces');
    expect(warnings[0]).not.toContain('s3cret');
  });
  it('maps the Jaeger variables alone (Konflux sets only these)', () => {
    const e = otlp({ OTEL_EXPORTER_JAEGER_ENDPOINT: 'https://j:14268/api/traces' });
    expect(e.url).toBe('https://j:4318/v1/traces');
  });
  it('maps the UDP agent host', () => {
    expect(otlp({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_JAEGER_AGENT_HOST: 'jaeger-agent' }).url).toBe('http://jaeger-agent:4318/v1/traces');
  });
  it('an explicit OTLP endpoint wins over Jaeger settings', () => {
    expect(otlp({ OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://j:14268/api/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://o:4318' }).url).toBe('http://o:4318/v1/traces');
  });
  it('maps OTEL_PROPAGATORS=jaeger to W3C with a warning', () => {
    const { config, warnings } = resolve({ OTEL_PROPAGATORS: 'jaeger' });
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
    expect(warnings).toEqual([expect.stringContaining('OTEL_PROPAGATORS=jaeger mapped to tracecontext,baggage')]);
  });
});

describe('resource, sampler, batch, propagators, instrumentations', () => {
  it('service name: OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES', () => {
    const { config } = resolve({ OTEL_SERVICE_NAME: 'a', OTEL_RESOURCE_ATTRIBUTES: 'service.name=b,service.version=2,team=x%2Cy' });
    expect(config.serviceName).toBe('a');
    expect(config.serviceVersion).toBe('2');
    expect(config.resourceAttributes).toEqual({ team: 'x,y' });
  });
  it('environment option sets deployment.environment.name', () => {
    expect(resolve({}, { environment: 'prod' }).config.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod' });
  });
  it.each([
    ['always_on', undefined, { kind: 'always_on' }],
    ['always_off', undefined, { kind: 'always_off' }],
    ['traceidratio', '0.25', { kind: 'traceidratio', ratio: 0.25 }],
    ['parentbased_traceidratio', '0', { kind: 'parentbased_traceidratio', ratio: 0 }],
    ['parentbased_always_off', undefined, { kind: 'parentbased_always_off' }],
  ])('sampler %s %s', (name, arg, expected) => {
    const env: Record<string, string> = { OTEL_TRACES_SAMPLER: name };
    if (arg !== undefined) env.OTEL_TRACES_SAMPLER_ARG = arg;
    expect(resolve(env).config.sampler).toEqual(expected);
  });
  it('samplingRate option gives a parent-based ratio sampler', () => {
    expect(resolve({}, { samplingRate: 0.5 }).config.sampler).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.5 });
  });
  it('reads the batch processor variables', () => {
    const { config } = resolve({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10', OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_EXPORT_TIMEOUT: '700' });
    expect(config.batch).toEqual({ maxQueueSize: 100, maxExportBatchSize: 10, scheduledDelayMillis: 50, exportTimeoutMillis: 700 });
  });
  it('reads span limits, the general attribute limits as fallbacks', () => {
    const { config } = resolve({ OTEL_ATTRIBUTE_COUNT_LIMIT: '5', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '20', OTEL_SPAN_EVENT_COUNT_LIMIT: '3', OTEL_SPAN_LINK_COUNT_LIMIT: '4', OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '6', OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '7' });
    expect(config.spanLimits).toEqual({ attributeCountLimit: 5, attributeValueLengthLimit: 20, eventCountLimit: 3, linkCountLimit: 4, attributePerEventCountLimit: 6, attributePerLinkCountLimit: 7 });
    expect(resolve({ OTEL_ATTRIBUTE_COUNT_LIMIT: '5', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '9' }).config.spanLimits.attributeCountLimit).toBe(9);
  });
  it('propagators: b3, b3multi, none', () => {
    expect(resolve({ OTEL_PROPAGATORS: 'b3,b3multi,tracecontext' }).config.propagators).toEqual(['b3', 'b3multi', 'tracecontext']);
    expect(resolve({ OTEL_PROPAGATORS: 'none' }).config.propagators).toEqual([]);
  });
  it('resource detectors: local by default, cloud only when named', () => {
    expect(resolve({ OTEL_NODE_RESOURCE_DETECTORS: 'env,aws' }).config.resourceDetectors).toEqual(['env', 'aws']);
    expect(resolve({ OTEL_NODE_RESOURCE_DETECTORS: 'all' }).config.resourceDetectors).toContain('gcp');
    expect(resolve({ OTEL_NODE_RESOURCE_DETECTORS: 'none' }).config.resourceDetectors).toEqual([]);
  });
  it('enabled and disabled instrumentation lists', () => {
    expect(resolve({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fs,http' }).config.instrumentations).toEqual(['fs', 'http']);
    expect(resolve({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' }).config.instrumentations).toEqual(['http']);
  });
  it('metrics and logs only when asked', () => {
    const { config } = resolve({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'console' });
    expect(config.metricsExporters).toEqual(['otlp']);
    expect(config.logsExporters).toEqual(['console']);
  });
  it('OTEL_SDK_DISABLED=true turns everything off', () => {
    expect(resolve({ OTEL_SDK_DISABLED: 'true' }).config.enabled).toBe(false);
  });
});

describe('many bad items in one variable: one summary warning (the count and the first three)', () => {
  it('OTEL_RESOURCE_ATTRIBUTES with 50,000 malformed entries', () => {
    const bad = Array.from({ length: 50_000 }, (_, i) => `k${i}`).join(',');
    const { config, warnings } = resolve({ OTEL_RESOURCE_ATTRIBUTES: `${bad},team=core` });
    expect(warnings).toEqual(['OTEL_RESOURCE_ATTRIBUTES has 50000 malformed entries (the first 3: "k0", "k1", "k2") (expected key=value); they are ignored']);
    expect(config.resourceAttributes).toEqual({ team: 'core' });
  });
  it('unknown instrumentations, detectors, exporters; a repeated jaeger propagator', () => {
    const many = (word: string) => Array.from({ length: 1000 }, (_, i) => `${word}${i}`).join(',');
    expect(resolve({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: `http,${many('x')}` }).warnings).toEqual([
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS names 1000 unknown instrumentations (the first 3: "x0", "x1", "x2"); they are ignored (see the README for the list)',
    ]);
    expect(resolve({ OTEL_NODE_RESOURCE_DETECTORS: `host,${many('d')}` }).warnings).toEqual([
      expect.stringMatching(/^OTEL_NODE_RESOURCE_DETECTORS has 1000 values that are not one of all, none, .* \(the first 3: "d0", "d1", "d2"\); using no detector for it for them$/),
    ]);
    expect(resolve({ OTEL_METRICS_EXPORTER: `otlp,${many('m')}` }).warnings).toHaveLength(1);
    expect(resolve({ OTEL_PROPAGATORS: Array(1000).fill('jaeger').join(',') }).warnings).toHaveLength(1);
  });
});

describe('bad values: one warning naming the variable and the value, the default used', () => {
  const cases: [Record<string, string>, string, (c: ReturnType<typeof resolve>['config']) => unknown, unknown][] = [
    [{ OTEL_TRACES_EXPORTER: 'bogus' }, 'OTEL_TRACES_EXPORTER="bogus"', (c) => c.traceExporters.map((e) => e.kind), ['otlp']],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'abc' }, 'OTEL_TRACES_SAMPLER_ARG="abc"', (c) => c.sampler, { kind: 'traceidratio', ratio: 1 }],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5', OTEL_TRACES_SAMPLER: 'traceidratio' }, 'OTEL_TRACES_SAMPLER_ARG="1.5"', (c) => c.sampler, { kind: 'traceidratio', ratio: 1 }],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER="jaeger_remote"', (c) => c.sampler, { kind: 'parentbased_always_on' }],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '-5' }, 'OTEL_BSP_MAX_QUEUE_SIZE="-5"', (c) => c.batch.maxQueueSize, 2048],
    [{ OTEL_BSP_SCHEDULE_DELAY: '1e3' }, 'OTEL_BSP_SCHEDULE_DELAY="1e3"', (c) => c.batch.scheduledDelayMillis, 5000],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '99999999999999999999' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE="99999999999999999999"', (c) => c.batch.maxExportBatchSize, 512],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE=4096 is larger than OTEL_BSP_MAX_QUEUE_SIZE=2048', (c) => c.batch.maxExportBatchSize, 2048],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'novalue,good=1' }, 'OTEL_EXPORTER_OTLP_HEADERS has a malformed entry', (c) => (c.traceExporters[0] as OtlpExporterConfig).headers, { good: '1' }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT="not a url"', (c) => (c.traceExporters[0] as OtlpExporterConfig).url, 'http://localhost:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }, 'OTEL_EXPORTER_OTLP_ENDPOINT="ftp://x"', (c) => (c.traceExporters[0] as OtlpExporterConfig).url, 'http://localhost:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }, 'OTEL_EXPORTER_OTLP_PROTOCOL="http/xml"', (c) => (c.traceExporters[0] as OtlpExporterConfig).protocol, 'http/protobuf'],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }, 'OTEL_EXPORTER_OTLP_TIMEOUT="soon"', (c) => (c.traceExporters[0] as OtlpExporterConfig).timeoutMillis, 10000],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, 'OTEL_EXPORTER_OTLP_COMPRESSION="zstd"', (c) => (c.traceExporters[0] as OtlpExporterConfig).compression, 'none'],
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED="yes"', (c) => c.enabled, true],
    [{ KAR_TELEMETRY_ENABLED: 'maybe' }, 'KAR_TELEMETRY_ENABLED="maybe"', (c) => c.enabled, true],
    [{ KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_EXPORT_TYPE: 'kafka' }, 'KAR_TELEMETRY_EXPORT_TYPE="kafka"', (c) => c.traceExporters[0].kind, 'otlp'],
    [{ KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_OTLP_ENDPOINT: 'jaeger:4318' }, 'KAR_TELEMETRY_OTLP_ENDPOINT="jaeger:4318"', (c) => (c.traceExporters[0] as OtlpExporterConfig).url, 'http://localhost:4318/v1/traces'],
    [{ OTEL_LOG_LEVEL: 'loud' }, 'OTEL_LOG_LEVEL="loud"', (c) => c.logLevel, 0],
    [{ OTEL_PROPAGATORS: 'xray' }, 'OTEL_PROPAGATORS="xray"', (c) => c.propagators, ['tracecontext', 'baggage']],
    [{ OTEL_NODE_RESOURCE_DETECTORS: 'mars' }, 'OTEL_NODE_RESOURCE_DETECTORS="mars"', (c) => c.resourceDetectors, []],
    [{ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'nope' }, 'unknown instrumentation "nope"', (c) => c.instrumentations, []],
    [{ OTEL_METRICS_EXPORTER: 'prometheus' }, 'OTEL_METRICS_EXPORTER="prometheus"', (c) => c.metricsExporters, []],
    [{ OTEL_AGENT_FLUSH_TIMEOUT: '-1' }, 'OTEL_AGENT_FLUSH_TIMEOUT="-1"', (c) => c.flushTimeoutMillis, 2000],
    [{ OTEL_AGENT_TRACE_FILE_FORMAT: 'xml', OTEL_EXPORTER_OTLP_TRACES_FILE: '/t' }, 'OTEL_AGENT_TRACE_FILE_FORMAT="xml"', (c) => (c.traceExporters[0] as { format: string }).format, 'jsonl'],
    [{ OTEL_EXPORTER_ZIPKIN_ENDPOINT: '::', OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT="::"', (c) => (c.traceExporters[0] as { url: string }).url, 'http://localhost:9411/api/v2/spans'],
  ];
  it.each(cases)('%j', (env, fragment, pick, expected) => {
    const { config, warnings } = resolve(env);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(fragment);
    expect(pick(config)).toEqual(expected);
  });

  it('treats empty and blank values as unset, silently', () => {
    const { config, warnings } = resolve({ OTEL_SERVICE_NAME: '   ', OTEL_TRACES_EXPORTER: '', OTEL_BSP_MAX_QUEUE_SIZE: ' ' });
    expect(warnings).toEqual([]);
    expect(config.serviceName).toBeUndefined();
    expect(config.batch.maxQueueSize).toBe(2048);
  });
  it('trims surrounding whitespace', () => {
    expect(resolve({ OTEL_BSP_MAX_QUEUE_SIZE: ' 64 ' }).config.batch.maxQueueSize).toBe(64);
  });
  it('never echoes header values (they may be tokens) and shortens huge or binary values', () => {
    const { warnings } = resolve({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization Bearer-abcdefghijklmnop' });
    expect(warnings[0]).not.toContain('abcdefghijklmnop');
    const huge = resolve({ OTEL_TRACES_SAMPLER: 'x'.repeat(100_000) + '\u0000\uFFFD' }).warnings[0];
    expect(huge.length).toBeLessThan(400);
  });
  it('hides credentials of a bad endpoint URL', () => {
    const { warnings } = resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:pw@host' });
    expect(warnings[0]).not.toContain('pw');
  });
});

describe('agent variables for traces across processes', () => {
  it('process span: auto by default, true/false/on/off, a name', () => {
    expect(resolve({}).config.processSpan).toBe('auto');
    expect(resolve({ OTEL_AGENT_PROCESS_SPAN: 'true' }).config.processSpan).toBe('on');
    expect(resolve({ OTEL_AGENT_PROCESS_SPAN: 'off' }).config.processSpan).toBe('off');
    expect(resolve({ OTEL_AGENT_PROCESS_SPAN_NAME: 'scheduler.main' }).config.processSpanName).toBe('scheduler.main');
    const bad = resolve({ OTEL_AGENT_PROCESS_SPAN: 'sometimes' });
    expect(bad.config.processSpan).toBe('auto');
    expect(bad.warnings).toEqual(['OTEL_AGENT_PROCESS_SPAN="sometimes" is not true, false or auto; using auto']);
  });
  it('child propagation, rules file, redaction', () => {
    expect(resolve({}).config.childProcessPropagation).toBe(true);
    expect(resolve({ OTEL_AGENT_CHILD_PROCESS_PROPAGATION: 'false' }).config.childProcessPropagation).toBe(false);
    expect(resolve({ OTEL_AGENT_COMMAND_RULES: '/etc/rules.json' }).config.commandRulesFile).toBe('/etc/rules.json');
    expect(resolve({ OTEL_AGENT_REDACT_FLAGS: '--api-secret, -k' }).config.redaction).toEqual({ enabled: true, extraFlags: ['--api-secret', '-k'] });
  });
  it('lean spans: on by default, OTEL_AGENT_LEAN_SPANS=false turns them off, a non-boolean is refused', () => {
    expect(resolve({}).config.leanSpans).toBe(true);
    expect(resolve({ OTEL_AGENT_LEAN_SPANS: 'false' }).config.leanSpans).toBe(false);
    expect(resolve({ OTEL_AGENT_LEAN_SPANS: 'true' }).config.leanSpans).toBe(true);
    const bad = resolve({ OTEL_AGENT_LEAN_SPANS: 'sometimes' });
    expect(bad.config.leanSpans).toBe(true);
    expect(bad.warnings).toEqual([expect.stringContaining('OTEL_AGENT_LEAN_SPANS')]);
  });
  it('redaction is turned off only by the exact value "off", with a warning', () => {
    const off = resolve({ OTEL_AGENT_REDACTION: 'off' });
    expect(off.config.redaction.enabled).toBe(false);
    expect(off.warnings[0]).toContain('OTEL_AGENT_REDACTION=off');
    for (const accidental of ['false', '0', 'no', 'OFF', 'disabled']) {
      const r = resolve({ OTEL_AGENT_REDACTION: accidental });
      expect(r.config.redaction.enabled, accidental).toBe(true);
      expect(r.warnings, accidental).toEqual([`OTEL_AGENT_REDACTION="${accidental}" is not on or off (exactly); using on`]);
    }
  });
  it('function spans: parsed, with one warning per bad part', () => {
    const { config, warnings } = resolve({
      OTEL_AGENT_FUNCTION_SPANS: './lib/runner.js[createResources=CreateResources(vmTemplate,runnerName,namespace),deleteResources,Scheduler.prototype.build=b(package.name:0.name)];bad;pkg[1nvalid]',
    });
    expect(config.functionSpans).toEqual([
      {
        module: './lib/runner.js',
        functions: [
          { exportPath: ['createResources'], spanName: 'CreateResources', attributes: [{ name: 'vmTemplate', path: [0] }, { name: 'runnerName', path: [1] }, { name: 'namespace', path: [2] }] },
          { exportPath: ['deleteResources'], spanName: 'deleteResources', attributes: [] },
          { exportPath: ['Scheduler', 'prototype', 'build'], spanName: 'b', attributes: [{ name: 'package.name', path: [0, 'name'] }] },
        ],
      },
    ]);
    expect(warnings).toEqual([
      'OTEL_AGENT_FUNCTION_SPANS: "bad" is not of the form module[function,...]; it is ignored',
      'OTEL_AGENT_FUNCTION_SPANS: in pkg: "1nvalid" is not an export name; it is ignored',
    ]);
  });
});

describe('metric and log exporter protocols', () => {
  const ctx = { knownInstrumentations: [] };
  it('come from the signal variable, then the generic one, then http/protobuf (read here, not from process.env later)', () => {
    expect(resolveConfig({}, ctx).config.metricsProtocol).toBe('http/protobuf');
    const generic = resolveConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, ctx).config;
    expect([generic.metricsProtocol, generic.logsProtocol]).toEqual(['grpc', 'grpc']);
    const own = resolveConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' }, ctx).config;
    expect([own.metricsProtocol, own.logsProtocol]).toEqual(['grpc', 'http/json']);
  });
});
