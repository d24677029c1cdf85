// Unit tests of the OTEL_CONFIG_FILE mapping: file text + environment -> AgentConfig, substitution, every section, every rejection.
// Imports dist/ (built by pretest): resolveConfig loads the file parser with require(), which vitest does not resolve to .ts sources.
import { describe, expect, it } from 'vitest';
import { resolveConfig, type AgentConfig, type OtlpExporterConfig } from '../../../dist/config';
import { configDocument } from '../../../dist/cli/config';
import { yamlModule } from '../../../dist/config/file-parse';
import { buildReport } from '../../../dist/cli/doctor';
import { replayConfig } from '../../../dist/cli/replay';

const known = [
  { id: 'http', defaultOn: true },
  { id: 'express', defaultOn: true },
  { id: 'fs', defaultOn: false },
  { id: 'undici', defaultOn: true },
];

function fromFile(yaml: string, env: Record<string, string> = {}) {
  return resolveConfig({ OTEL_CONFIG_FILE: '/etc/otel.yaml', ...env }, { knownInstrumentations: known, readFile: () => yaml });
}
function ok(yaml: string, env: Record<string, string> = {}): AgentConfig {
  const { config, warnings } = fromFile(yaml, env);
  expect(warnings, yaml).toEqual([]);
  expect(config.enabled).toBe(true);
  return config;
}
function rejected(yaml: string): string {
  const { config, warnings } = fromFile(yaml);
  expect(config.enabled).toBe(false);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^OTEL_CONFIG_FILE \/etc\/otel\.yaml: .*; the agent is off and the program runs untraced$/);
  return warnings[0];
}

const HEADER = 'file_format: "1.0"\n';

describe('substitution', () => {
  it('${VAR}, ${env:VAR}, ${VAR:-default}, $$; unquoted results are re-read as numbers, quoted ones stay strings', () => {
    const config = ok(
      `${HEADER}resource:
  attributes:
    - name: service.name
      value: \${NAME}
    - name: a
      value: \${env:NAME}-x
    - name: b
      value: \${MISSING:-fallback}
    - name: c
      value: "$$\{NAME}"
tracer_provider:
  processors:
    - batch:
        max_queue_size: \${QUEUE:-100}
        exporter:
          console:
`,
      { NAME: 'svc', QUEUE: '300' },
    );
    expect(config.serviceName).toBe('svc');
    expect(config.resourceAttributes).toEqual({ a: 'svc-x', b: 'fallback', c: '${NAME}' });
    expect(config.batch).toMatchObject({ maxQueueSize: 300, maxExportBatchSize: 300 });
  });

  it('${} and unterminated ${ are kept as text; a reference after them still counts; an invalid one is named', () => {
    const config = ok(`${HEADER}resource:\n  attributes:\n    - name: a\n      value: "x\${}y \${NAME} z\${oops"\n`, { NAME: 'svc' });
    expect(config.resourceAttributes).toEqual({ a: 'x${}y svc z${oops' });
    expect(rejected(`${HEADER}resource:\n  attributes:\n    - name: a\n      value: "\${a\${B}"\n`)).toMatch(/invalid substitution \$\{a\$\{B\}/);
  });

  it('200,000 unterminated ${ in one value: read in one pass, kept as text (quadratic before: minutes)', () => {
    const value = '${'.repeat(200_000);
    const config = ok(`${HEADER}resource:\n  attributes:\n    - name: a\n      value: "${value}"\n`);
    expect(config.resourceAttributes.a).toBe(value);
  });

  it('a string where the schema wants a number (quoted substitution) is a schema violation', () => {
    expect(rejected(`${HEADER}tracer_provider:\n  processors:\n    - batch:\n        max_queue_size: "\${Q:-5}"\n        exporter:\n          console:\n`)).toMatch(
      /\/tracer_provider\/processors\/0\/batch\/max_queue_size must be integer/,
    );
  });
});

describe('sections', () => {
  it('disabled: true turns the agent off without a warning', () => {
    const { config, warnings } = fromFile(`${HEADER}disabled: true\n`);
    expect(warnings).toEqual([]);
    expect(config.enabled).toBe(false);
    expect(config.disabledBy).toBe('/etc/otel.yaml: /disabled');
  });

  it('no tracer_provider: no trace pipeline; no propagator: none', () => {
    const config = ok(HEADER);
    expect(config.traceExporters).toEqual([]);
    expect(config.propagators).toEqual([]);
    expect(config.resourceDetectors).toEqual([]);
  });

  it('otlp exporters: endpoint, encoding, headers over headers_list, compression, timeout; batch settings per exporter', () => {
    const config = ok(`${HEADER}tracer_provider:
  processors:
    - batch:
        schedule_delay: 10
        export_timeout: 20
        max_queue_size: 30
        max_export_batch_size: 5
        exporter:
          otlp_http:
            endpoint: https://collector:4318/v1/traces
            encoding: json
            headers: [{ name: api-key, value: a }]
            headers_list: api-key=b,tenant=t%201
            compression: gzip
            timeout: 1234
    - simple:
        exporter:
          otlp_grpc:
`);
    expect(config.traceExporters).toEqual([
      {
        kind: 'otlp',
        protocol: 'http/json',
        url: 'https://collector:4318/v1/traces',
        headers: { 'api-key': 'a', tenant: 't 1' },
        compression: 'gzip',
        timeoutMillis: 1234,
        processor: { kind: 'batch', scheduledDelayMillis: 10, exportTimeoutMillis: 20, maxQueueSize: 30, maxExportBatchSize: 5 },
      },
      { kind: 'otlp', protocol: 'grpc', url: 'http://localhost:4317', headers: {}, compression: 'none', timeoutMillis: 10000, processor: { kind: 'simple' } },
    ] satisfies (OtlpExporterConfig & { processor: unknown })[]);
  });

  it('attribute_limits apply where tracer_provider.limits are silent', () => {
    const config = ok(`${HEADER}attribute_limits:\n  attribute_count_limit: 9\n  attribute_value_length_limit: 50\ntracer_provider:\n  processors: [{ simple: { exporter: { console: } } }]\n  limits:\n    attribute_count_limit: 3\n    event_count_limit: 4\n`);
    expect(config.spanLimits).toMatchObject({ attributeCountLimit: 3, attributeValueLengthLimit: 50, eventCountLimit: 4, linkCountLimit: 128 });
  });

  it('parent_based with every branch', () => {
    const config = ok(`${HEADER}tracer_provider:
  processors: [{ simple: { exporter: { console: } } }]
  sampler:
    parent_based:
      root: { trace_id_ratio_based: { ratio: 0.25 } }
      remote_parent_sampled: { always_on: }
      remote_parent_not_sampled: { always_off: }
      local_parent_sampled: { always_off: }
      local_parent_not_sampled: { always_on: }
`);
    expect(config.sampler).toEqual({
      kind: 'parent_based',
      root: { kind: 'traceidratio', ratio: 0.25 },
      remoteParentSampled: { kind: 'always_on' },
      remoteParentNotSampled: { kind: 'always_off' },
      localParentSampled: { kind: 'always_off' },
      localParentNotSampled: { kind: 'always_on' },
    });
  });

  it('metrics and logs: OTLP and console exporters with their settings', () => {
    const config = ok(`${HEADER}meter_provider:
  readers:
    - periodic:
        interval: 1000
        exporter:
          otlp_grpc:
            endpoint: http://collector:4317
    - periodic:
        exporter:
          console:
logger_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            encoding: json
`);
    expect(config.metricsExporters).toEqual(['otlp', 'console']);
    expect(config.metricsOtlp).toMatchObject({ protocol: 'grpc', url: 'http://collector:4317' });
    expect(config.metricsExportIntervalMillis).toBe(1000);
    expect(config.logsExporters).toEqual(['otlp']);
    expect(config.logsOtlp).toMatchObject({ protocol: 'http/json', url: 'http://localhost:4318/v1/logs' });
  });

  it('instrumentation/development: HTTP header capture, URL exclusion, per-instrumentation switches and options, the agent settings', () => {
    const { config, warnings } = fromFile(`${HEADER}instrumentation/development:
  general:
    http:
      client:
        request_captured_headers: [X-Request-Id]
        response_captured_headers: [content-type]
      server:
        request_captured_headers: [user-agent]
        response_captured_headers: [x-answer]
  js:
    http:
      excluded_urls: ['^/health', 'metrics$']
      implementation: upstream
    undici:
      implementation: upstream
    express:
      middleware_spans: true
      ignoreLayersType: [middleware]
    fs:
      enabled: true
    otel_agent:
      flush_timeout: 500
      process_span: false
      process_span_name: job
      child_process_propagation: false
      lean_spans: false
      command_rules: /etc/rules.yaml
      redaction:
        enabled: false
        extra_flags: [--pin]
`);
    expect(config.http).toEqual({
      excludedUrls: ['^/health', 'metrics$'],
      captureHeaders: { clientRequest: ['x-request-id'], clientResponse: ['content-type'], serverRequest: ['user-agent'], serverResponse: ['x-answer'] },
      implementation: 'upstream',
      undiciImplementation: 'upstream',
      expressMiddlewareSpans: true,
    });
    expect(config.instrumentations).toEqual(['http', 'express', 'fs', 'undici']);
    expect(config.instrumentationOptions).toEqual({ express: { ignoreLayersType: ['middleware'] } });
    expect(config).toMatchObject({ flushTimeoutMillis: 500, processSpan: 'off', processSpanName: 'job', childProcessPropagation: false, leanSpans: false, commandRulesFile: '/etc/rules.yaml' });
    expect(config.redaction).toEqual({ enabled: false, extraFlags: ['--pin'] });
    expect(warnings).toEqual([expect.stringContaining('/instrumentation/development/js/otel_agent/redaction/enabled is false')]);
  });

  it('otlp_file/development: stdout, a file, a directory (trailing slash); the kops format from the agent settings', () => {
    const config = ok(`${HEADER}tracer_provider:
  processors:
    - simple: { exporter: { otlp_file/development: { output_stream: stdout } } }
    - simple: { exporter: { otlp_file/development: { output_stream: "file:///var/traces/run.otel" } } }
    - simple: { exporter: { otlp_file/development: { output_stream: "file:///var/traces/" } } }
instrumentation/development:
  js:
    otel_agent:
      trace_file_format: kops
`);
    expect(config.traceExporters.map((e) => (e.kind === 'file' ? [e.target, e.format] : e.kind))).toEqual([
      [{ kind: 'stdout' }, 'jsonl'],
      [{ kind: 'file', path: '/var/traces/run.otel' }, 'kops'],
      [{ kind: 'dir', dir: '/var/traces/' }, 'kops'],
    ]);
  });
});

describe('rejections name the file, the path in the document and the unknown name', () => {
  it.each([
    ['span exporter', 'tracer_provider:\n  processors:\n    - batch:\n        exporter:\n          otlp_htp:\n', '/tracer_provider/processors/0/batch/exporter/otlp_htp: unknown span exporter "otlp_htp"'],
    ['sampler', 'tracer_provider:\n  processors: [{ simple: { exporter: { console: } } }]\n  sampler:\n    jaeger_remote_x: {}\n', '/tracer_provider/sampler/jaeger_remote_x: unknown sampler "jaeger_remote_x"'],
    ['propagator', 'propagator:\n  composite_list: tracecontext,xray\n', '/propagator/composite_list: unknown propagator "xray"'],
    ['detector', 'resource:\n  detection/development:\n    detectors:\n      - k8s: {}\n', '/resource/detection/development/detectors/0/k8s: unknown resource detector "k8s"'],
    ['instrumentation', 'instrumentation/development:\n  js:\n    htpp:\n      enabled: false\n', '/instrumentation/development/js/htpp: unknown instrumentation "htpp"'],
    ['metric reader', 'meter_provider:\n  readers:\n    - pull:\n        exporter:\n          prometheus/development: {}\n', '/meter_provider/readers/0/pull: unknown metric reader "pull"'],
  ])('%s', (_kind, body, message) => {
    expect(rejected(HEADER + body)).toContain(`/etc/otel.yaml: ${message}`);
  });

  it('an unreadable file', () => {
    const { config, warnings } = resolveConfig({ OTEL_CONFIG_FILE: '/nonexistent/otel.yaml' }, { knownInstrumentations: known });
    expect(config.enabled).toBe(false);
    expect(warnings).toEqual(['OTEL_CONFIG_FILE /nonexistent/otel.yaml: cannot be read (ENOENT); the agent is off and the program runs untraced']);
  });

  it('startAgent options next to a file are ignored, with a warning', () => {
    const { warnings } = resolveConfig({ OTEL_CONFIG_FILE: '/etc/otel.yaml' }, { knownInstrumentations: known, readFile: () => HEADER }, { serviceName: 'x' });
    expect(warnings).toEqual(['startAgent options are ignored: OTEL_CONFIG_FILE=/etc/otel.yaml is the configuration']);
  });
});

describe('examples/config', () => {
  it('the commented file and the Kubernetes ConfigMap are accepted as they are', async () => {
    const fs = await import('node:fs');
    const full = fs.readFileSync('examples/config/otel-config.yaml', 'utf8');
    const config = ok(full);
    expect(config.serviceName).toBe('checkout');
    expect(config.traceExporters).toHaveLength(1);
    expect(config.sampler).toEqual({ kind: 'parent_based', root: { kind: 'traceidratio', ratio: 1 } });
    const manifest = yamlModule().parseAllDocuments(fs.readFileSync('examples/config/kubernetes.yaml', 'utf8'));
    const mounted = (manifest[0].toJS() as { data: Record<string, string> }).data['otel-config.yaml'];
    const k8s = ok(mounted, { POD_NAME: 'checkout-1' });
    expect(k8s.resourceAttributes).toEqual({ 'k8s.pod.name': 'checkout-1' });
    expect(k8s.traceExporters[0]).toMatchObject({ kind: 'otlp', protocol: 'grpc', url: 'http://otel-collector.observability:4317' });
    const container = (manifest[1].toJS() as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }).spec.template.spec.containers[0];
    expect(container.env.find((e) => e.name === 'OTEL_CONFIG_FILE')?.value).toBe('/etc/otel/otel-config.yaml');
  });
});

describe('otel-agent config --from-env', () => {
  it('writes a document that gives back the environment\'s configuration', () => {
    const env = {
      OTEL_SERVICE_NAME: 'svc',
      OTEL_RESOURCE_ATTRIBUTES: 'team=core,service.version=2',
      OTEL_TRACES_EXPORTER: 'otlp,console',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ca.pem',
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/etc/client.key',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
      OTEL_PROPAGATORS: 'b3multi',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express',
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,express,fs',
      OTEL_BSP_SCHEDULE_DELAY: '250',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '7',
      OTEL_AGENT_FLUSH_TIMEOUT: '900',
      OTEL_AGENT_PROCESS_SPAN: 'true',
      OTEL_NODE_EXCLUDED_URLS: '^/health',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'user-agent',
    };
    const fromEnv = resolveConfig(env, { knownInstrumentations: known });
    const text = yamlModule().stringify(configDocument(fromEnv.config, known));
    const back = ok(text);
    const pick = (c: AgentConfig) => ({
      serviceName: c.serviceName,
      serviceVersion: c.serviceVersion,
      resourceAttributes: c.resourceAttributes,
      exporters: c.traceExporters.map(({ processor: _p, ...e }) => e),
      sampler: c.sampler,
      propagators: c.propagators,
      batch: c.batch,
      spanLimits: c.spanLimits,
      flushTimeoutMillis: c.flushTimeoutMillis,
      processSpan: c.processSpan,
      http: c.http,
    });
    expect(pick(back)).toEqual({ ...pick(fromEnv.config), sampler: { kind: 'parent_based', root: { kind: 'traceidratio', ratio: 0.5 } } });
  });
});

describe('otel-agent doctor with a file', () => {
  it('every setting shows the file and its path; variables next to the file are listed as ignored', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'otel-doctor-')), 'otel.yaml');
    fs.writeFileSync(file, `${HEADER}tracer_provider:\n  processors:\n    - simple:\n        exporter:\n          console:\n`);
    const report = await buildReport({ OTEL_CONFIG_FILE: file, OTEL_SERVICE_NAME: 'ignored', OTEL_TRACES_EXPORTER: 'zipkin' }, 500);
    expect(report.enabled).toBe(true);
    for (const row of report.settings) expect(row.from, row.setting).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[: ]`));
    expect(report.settings.find((r) => r.setting === 'traces exporter')).toMatchObject({ value: 'console', from: `${file}: /tracer_provider/processors` });
    expect(report.warnings).toEqual([expect.stringContaining('these variables are ignored (they count only where the file references them as ${VAR}): OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER')]);

    fs.writeFileSync(file, `${HEADER}tracer_provider:\n  processors: {}\n`);
    const broken = await buildReport({ OTEL_CONFIG_FILE: file }, 500);
    expect(broken.ok).toBe(false);
    expect(broken.problems).toEqual([expect.stringContaining('does not match the configuration schema: /tracer_provider/processors must be array')]);
  });
});

describe('otel-agent replay next to a file', () => {
  it('keeps its destination from the OTLP variables', () => {
    const parsed = { options: {}, positionals: [] } as unknown as Parameters<typeof replayConfig>[0];
    const otlp = replayConfig(parsed, { OTEL_CONFIG_FILE: '/nonexistent/otel.yaml', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(otlp.url).toBe('http://collector:4318/v1/traces');
  });
});

describe('TLS files', () => {
  it('an OTLP exporter\'s tls block gives the CA, client certificate and key paths, read by the exporter', () => {
    const config = ok(`${HEADER}tracer_provider:\n  processors:\n    - batch:\n        exporter:\n          otlp_http:\n            endpoint: https://c:4318/v1/traces\n            tls:\n              ca_file: /ca.pem\n              cert_file: /client.pem\n              key_file: /client.key\n`);
    expect((config.traceExporters[0] as OtlpExporterConfig).tls).toEqual({ ca: '/ca.pem', cert: '/client.pem', key: '/client.key' });
  });
});
