// End to end: OTEL_CONFIG_FILE documents loaded by the agent in a separate Node process, exporting real OTLP to the local receiver.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeTracesData, type ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { execFileSync, spawn } from 'node:child_process';
import { cleanEnv, finished, makeAppDir, REPO_ROOT, runApp } from '../helpers/run-app';

const SERVER = 2;
const CLIENT = 3;

/** An HTTP server and a client call to it with a custom header; prints what the server saw and exits with EXIT_CODE (default 0). */
const HTTP_APP = `
const http = require('http');
const server = http.createServer((req, res) => { res.setHeader('x-answer', '42'); res.end(JSON.stringify(req.headers)); });
server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/hello?q=1', headers: { 'x-request-id': 'r-1' } }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      const seen = JSON.parse(body);
      console.log('status', res.statusCode);
      console.log('propagation', ['traceparent', 'b3', 'x-b3-traceid'].filter((h) => h in seen).join(',') || 'none');
      server.close();
      process.exitCode = Number(process.env.EXIT_CODE ?? 0);
    });
  });
});
`;
const PACKAGE_JSON = JSON.stringify({ name: 'config-file-app', version: '1.0.0' });

const receiver = sharedReceiver();

const hasHttpPair = (spans: ReceivedSpan[]) => spans.some((s) => s.kind === SERVER) && spans.some((s) => s.kind === CLIENT);

function run(configYaml: string, env: Record<string, string> = {}) {
  return runApp({
    files: { 'app.cjs': HTTP_APP, 'package.json': PACKAGE_JSON, 'otel.yaml': configYaml },
    entry: 'app.cjs',
    env: { OTEL_CONFIG_FILE: 'otel.yaml', ...env },
  });
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-config-'));
}

const otlpHttp = (encoding: 'protobuf' | 'json') => `
    - batch:
        schedule_delay: 50
        exporter:
          otlp_http:
            endpoint: \${RECEIVER}/v1/traces
            encoding: ${encoding}`;

describe('OTEL_CONFIG_FILE', () => {
  it('three OTLP exporters at once (http/protobuf, http/json, gRPC) each deliver every span; resource from the file', async () => {
    const result = await run(
      `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: from-file
    - name: build
      value: 7
  attributes_list: team=core
tracer_provider:
  processors:${otlpHttp('protobuf')}${otlpHttp('json')}
    - simple:
        exporter:
          otlp_grpc:
            endpoint: \${GRPC}
`,
      { RECEIVER: receiver.httpUrl, GRPC: receiver.grpcUrl },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const spans = await receiver.waitForSpans((all) => ['http/protobuf', 'http/json', 'grpc'].every((t) => hasHttpPair(all.filter((s) => s.transport === t))));
    for (const transport of ['http/protobuf', 'http/json', 'grpc']) {
      const server = spans.find((s) => s.transport === transport && s.kind === SERVER)!;
      expect(server.resource['service.name'], transport).toBe('from-file');
      expect(server.resource['team']).toBe('core');
      expect(server.resource['build']).toBe('7');
      expect(server.resource['service.version']).toBe('1.0.0');
    }
  });

  it('general.http header capture and js.http excluded_urls reach the agent\'s HTTP instrumentation', async () => {
    const result = await run(
      `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: http-options-from-file
tracer_provider:
  processors:${otlpHttp('protobuf')}
instrumentation/development:
  general:
    http:
      client:
        response_captured_headers: [x-answer]
      server:
        request_captured_headers: [x-request-id]
  js:
    http:
      excluded_urls: ['^/nothing-here$']
`,
      { RECEIVER: receiver.httpUrl },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const mine = (all: ReceivedSpan[]) => all.filter((s) => s.resource['service.name'] === 'http-options-from-file');
    const spans = mine(await receiver.waitForSpans((all) => hasHttpPair(mine(all))));
    const server = spans.find((s) => s.kind === SERVER)!;
    const client = spans.find((s) => s.kind === CLIENT)!;
    expect(server.attributes['http.request.header.x-request-id']).toEqual(['r-1']);
    expect(client.attributes['http.response.header.x-answer']).toEqual(['42']);
    expect(server.attributes['http.response.header.x-answer']).toBeUndefined();
  });

  it('js.http excluded_urls from the file: the matching request gets no span', async () => {
    const result = await run(
      `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: http-excluded-from-file
tracer_provider:
  processors:${otlpHttp('protobuf')}
instrumentation/development:
  js:
    http:
      excluded_urls: ['^/hello']
`,
      { RECEIVER: receiver.httpUrl },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('status 200');
    // The server span (path /hello?q=1) is excluded; the client span (full URL) is not.
    const mine = (all: ReceivedSpan[]) => all.filter((s) => s.resource['service.name'] === 'http-excluded-from-file');
    const spans = mine(await receiver.waitForSpans((all) => mine(all).some((s) => s.kind === CLIENT)));
    expect(spans.filter((s) => s.kind === SERVER)).toEqual([]);
  });

  it('the file wins over conflicting variables; ${VAR:-default} substitution fills in', async () => {
    const result = await run(
      `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: \${SERVICE:-defaulted-name}
tracer_provider:
  processors:${otlpHttp('protobuf')}
`,
      {
        RECEIVER: receiver.httpUrl,
        OTEL_SERVICE_NAME: 'from-variable',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_TRACES_SAMPLER: 'always_off',
        OTEL_SDK_DISABLED: 'true',
      },
    );
    expect(result.stderr).toBe('');
    const spans = await receiver.waitForSpans(hasHttpPair);
    expect(spans[0].resource['service.name']).toBe('defaulted-name');
    expect(result.stdout).not.toMatch(/traceId:/);
  });

  it('propagator b3 only, span limits, parent_based sampler with an always_on root, detection from the file', async () => {
    const result = await run(
      `file_format: "1.0"
propagator:
  composite_list: b3
resource:
  detection/development:
    detectors:
      - process:
tracer_provider:
  limits:
    attribute_count_limit: 2
  sampler:
    parent_based:
      root:
        always_on:
      remote_parent_sampled:
        always_on:
      remote_parent_not_sampled:
        always_off:
  processors:${otlpHttp('protobuf')}
`,
      { RECEIVER: receiver.httpUrl },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('propagation b3\n');
    const spans = await receiver.waitForSpans(hasHttpPair);
    const server = spans.find((s) => s.kind === SERVER)!;
    const client = spans.find((s) => s.kind === CLIENT)!;
    expect(server.traceId).toBe(client.traceId);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(Object.keys(server.attributes).length).toBeLessThanOrEqual(2);
    expect(server.resource['process.pid']).toBeTypeOf('number');
    expect(server.resource['host.name']).toBeUndefined();
  });

  it('samplers: trace_id_ratio_based 0 and always_off export nothing, the process span (agent setting) shows the pipeline runs', async () => {
    for (const sampler of ['trace_id_ratio_based:\n          ratio: 0', 'always_off:']) {
      receiver.reset();
      const result = await run(
        `file_format: "1.0"
propagator:
  composite:
    - tracecontext:
tracer_provider:
  sampler:
    parent_based:
      root:
        always_on:
      local_parent_sampled:
        ${sampler}
  processors:${otlpHttp('json')}
instrumentation/development:
  js:
    otel_agent:
      process_span: true
      process_span_name: whole-run
`,
        { RECEIVER: receiver.httpUrl },
      );
      expect(result.stderr).toBe('');
      // The root (the process span) is sampled; its local children (the client span) are not, nor is
      // the server span, whose remote parent (the client) is not sampled.
      const spans = await receiver.waitForSpans((all) => all.some((s) => s.name === 'whole-run'));
      expect(spans.filter((s) => s.kind === SERVER || s.kind === CLIENT), sampler).toEqual([]);
    }
  });

  it('console and otlp_file/development (JSON Lines file and kops framing) at once; an instrumentation switched off under js', async () => {
    const out = tmpDir();
    const jsonl = path.join(out, 'spans.jsonl');
    const kopsDir = path.join(out, 'kops');
    const result = await runApp({
      files: {
        'app.cjs': HTTP_APP,
        'package.json': PACKAGE_JSON,
        'otel.yaml': `file_format: "1.0"
tracer_provider:
  processors:
    - simple:
        exporter:
          console:
    - simple:
        exporter:
          otlp_file/development:
            output_stream: ${pathToFileURL(jsonl).href}
instrumentation/development:
  js:
    undici:
      enabled: false
`,
      },
      entry: 'app.cjs',
      env: { OTEL_CONFIG_FILE: 'otel.yaml' },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/traceId: '[0-9a-f]{32}'/);
    const spans = fs.readFileSync(jsonl, 'utf8').trim().split('\n').flatMap((l) => normalizeTracesData(JSON.parse(l), 'http/json'));
    expect(hasHttpPair(spans)).toBe(true);

    fs.mkdirSync(kopsDir);
    const kops = await runApp({
      files: {
        'app.cjs': HTTP_APP,
        'otel.yaml': `file_format: "1.0"
tracer_provider:
  processors:
    - batch:
        exporter:
          otlp_file/development:
            output_stream: ${pathToFileURL(kopsDir).href}/
instrumentation/development:
  js:
    http:
      enabled: false
    otel_agent:
      trace_file_format: kops
      process_span: true
`,
      },
      entry: 'app.cjs',
      env: { OTEL_CONFIG_FILE: 'otel.yaml' },
    });
    expect(kops.stderr).toBe('');
    const files = fs.readdirSync(kopsDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.otel$/);
    const bytes = fs.readFileSync(path.join(kopsDir, files[0]));
    // kops framing: the first record is the ObjectType record (type 1 in the fourth header word).
    expect(bytes.readUInt32BE(12)).toBe(1);
    expect(bytes.includes(Buffer.from('ExportTraceServiceRequest'))).toBe(true);
  });
});

describe('otel-agent run --config', () => {
  it('a parent and a child process in another directory both read the file (made absolute); other options are ignored with a warning', async () => {
    const dir = makeAppDir({
      'parent.cjs': `require('node:child_process').execFileSync(process.execPath, ['child.cjs'], { cwd: 'sub', stdio: 'inherit' }); console.log('parent done');`,
      'sub/child.cjs': HTTP_APP,
      'otel.yaml': `file_format: "1.0"
resource:
  attributes: [{ name: service.name, value: run-config }]
propagator:
  composite: [{ tracecontext: }]
tracer_provider:
  processors:${otlpHttp('protobuf')}
`,
    });
    const cli = path.join(REPO_ROOT, 'dist', 'cli', 'otel-agent.js');
    const child = spawn(process.execPath, [cli, 'run', '--config', 'otel.yaml', '--service-name', 'ignored', '--', process.execPath, 'parent.cjs'], {
      cwd: dir,
      env: cleanEnv({ RECEIVER: receiver.httpUrl }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { code, stdout, stderr } = await finished(child);
    expect(code).toBe(0);
    expect(stdout).toContain('parent done');
    expect(stderr).toBe('[otel-agent] warning: --service-name ignored: the configuration file otel.yaml is the whole configuration\n');
    const spans = await receiver.waitForSpans(hasHttpPair);
    expect(spans.find((s) => s.kind === SERVER)!.resource['service.name']).toBe('run-config');
  });
});

describe('OTEL_CONFIG_FILE: metrics and logs', () => {
  it('meter_provider and logger_provider exporters send to the endpoints, encodings and headers the file names', async () => {
    const app = `
const api = require('@opentelemetry/api');
api.metrics.getMeter('app').createCounter('jobs').add(1);
api.logs.getLogger('app').emit({ body: 'hello' });
api.trace.getTracer('app').startSpan('work').end();
console.log('done');
`;
    const result = await runApp({
      files: {
        'app.cjs': app,
        'otel.yaml': `file_format: "1.0"
tracer_provider:
  processors:${otlpHttp('protobuf')}
meter_provider:
  readers:
    - periodic:
        exporter:
          otlp_http:
            endpoint: \${RECEIVER}/v1/metrics
            encoding: json
            headers: [{ name: x-signal, value: metrics }]
logger_provider:
  processors:
    - simple:
        exporter:
          otlp_http:
            endpoint: \${RECEIVER}/v1/logs
            headers_list: x-signal=logs
`,
      },
      entry: 'app.cjs',
      packages: ['@opentelemetry/api'],
      env: { OTEL_CONFIG_FILE: 'otel.yaml', RECEIVER: receiver.httpUrl },
    });
    expect(result.stdout).toBe('done\n');
    expect(result.code).toBe(0);
    await receiver.waitForSpans((spans) => spans.some((s) => s.name === 'work'));
    const metrics = receiver.requests.find((r) => r.path === '/v1/metrics');
    const logs = receiver.requests.find((r) => r.path === '/v1/logs');
    expect(metrics?.headers['content-type']).toMatch(/application\/json/);
    expect(metrics?.headers['x-signal']).toBe('metrics');
    expect(logs?.headers['content-type']).toMatch(/application\/x-protobuf/);
    expect(logs?.headers['x-signal']).toBe('logs');
  });
});

/** A FIFO nobody writes to: opening it for reading the ordinary way waits forever. */
const FIFO_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-fifo-'));
const FIFO = path.join(FIFO_DIR, 'otel.fifo');
execFileSync('mkfifo', [FIFO]);
afterAll(() => fs.rmSync(FIFO_DIR, { recursive: true, force: true }));

describe('OTEL_CONFIG_FILE that cannot be used: one warning, the agent off, the program untouched', () => {
  const BAD: Record<string, { yaml?: string; path?: string; expect: RegExp }> = {
    'broken YAML': { yaml: 'file_format: "1.0"\ntracer_provider: [\n', expect: /otel\.yaml: not valid YAML \(line \d+, column \d+\)/ },
    'schema violation': { yaml: 'file_format: "1.0"\ntracer_provider:\n  processors: 5\n', expect: /does not match the configuration schema: \/tracer_provider\/processors must be array/ },
    'unknown component': {
      yaml: 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        exporter:\n          otlp_htp: {}\n',
      expect: /otel\.yaml: \/tracer_provider\/processors\/0\/batch\/exporter\/otlp_htp: unknown span exporter "otlp_htp"/,
    },
    'unknown agent setting': {
      yaml: 'file_format: "1.0"\ninstrumentation/development:\n  js:\n    otel_agent:\n      flush_timout: 5\n',
      expect: /\/instrumentation\/development\/js\/otel_agent\/flush_timout: unknown agent setting/,
    },
    'unreadable path': { path: 'missing/otel.yaml', expect: /missing\/otel\.yaml: cannot be read \(ENOENT\)/ },
    'unsupported file_format': { yaml: 'file_format: "2.0"\n', expect: /unsupported file_format "2\.0"/ },
    // Files that never end or block: refused before any read (before the fix /dev/zero and the FIFO hung the program at start).
    '/dev/zero': { path: '/dev/zero', expect: /\/dev\/zero: cannot be read \(not a regular file\)/ },
    '/dev/stdin (the program\'s own input)': { path: '/dev/stdin', expect: /\/dev\/stdin: cannot be read \(not a regular file\)/ },
    'a FIFO': { path: FIFO, expect: /otel\.fifo: cannot be read \(not a regular file\)/ },
  };

  it.each(Object.keys(BAD))('%s', async (kind) => {
    const bad = BAD[kind];
    const files: Record<string, string> = { 'app.cjs': HTTP_APP };
    if (bad.yaml !== undefined) files['otel.yaml'] = bad.yaml;
    const env = { OTEL_CONFIG_FILE: bad.path ?? 'otel.yaml', EXIT_CODE: '3', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl };
    const [withAgent, without] = await Promise.all([runApp({ files, entry: 'app.cjs', env }), runApp({ files, entry: 'app.cjs', env, preload: 'none' })]);
    const lines = withAgent.stderr.trim().split('\n');
    expect(lines, withAgent.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[otel-agent\] warning: OTEL_CONFIG_FILE /);
    expect(lines[0]).toMatch(bad.expect);
    expect(lines[0]).toContain('the agent is off');
    expect(withAgent.code).toBe(3);
    expect(withAgent.stdout).toBe(without.stdout);
    expect(withAgent.stdout).toContain('propagation none');
    expect(receiver.requests).toEqual([]);
  });
});

describe('start-up cost', () => {
  it('without OTEL_CONFIG_FILE neither yaml nor @opentelemetry/configuration is loaded; with it both are', async () => {
    const app = `console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](yaml|@opentelemetry[\\\\/]configuration)[\\\\/]/.test(k)).length));`;
    const plain = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', preload: 'require', env: { OTEL_TRACES_EXPORTER: 'console' } });
    expect(plain.stderr).toBe('');
    expect(plain.stdout.trim()).toBe('0');
    const withFile = await runApp({
      files: { 'app.cjs': app, 'otel.yaml': 'file_format: "1.0"\ntracer_provider:\n  processors:\n    - simple:\n        exporter:\n          console:\n' },
      entry: 'app.cjs',
      preload: 'require',
      env: { OTEL_CONFIG_FILE: 'otel.yaml' },
    });
    expect(withFile.stderr).toBe('');
    expect(Number(withFile.stdout.trim())).toBeGreaterThan(0);
  });
});
