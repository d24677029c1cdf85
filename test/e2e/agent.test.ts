// End to end: the agent loaded into a separate Node process as a user loads it, exporting real OTLP to a local receiver.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeTracesData, startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp, type Preload } from '../helpers/run-app';

const SERVER = 2;
const CLIENT = 3;

/** An HTTP server and a client call to it; prints a line and exits 0 by draining the loop. */
const HTTP_APP_CJS = `
const http = require('http');
const server = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
server.listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/hello', (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log('status', res.statusCode); console.log('headers', body); server.close(); });
  });
});
`;
const HTTP_APP_ESM = `
import { createServer, get } from 'node:http';
const server = createServer((req, res) => res.end(JSON.stringify(req.headers)));
server.listen(0, '127.0.0.1', () => {
  get('http://127.0.0.1:' + server.address().port + '/hello', (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log('status', res.statusCode); console.log('headers', body); server.close(); });
  });
});
`;
const PACKAGE_JSON = JSON.stringify({ name: 'e2e-app', version: '1.2.3' });
const AGENT_VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

function httpPair(spans: ReceivedSpan[]) {
  const server = spans.find((s) => s.kind === SERVER && s.name.startsWith('GET'));
  const client = spans.find((s) => s.kind === CLIENT && s.name.startsWith('GET'));
  return { server, client };
}
const hasHttpPair = (spans: ReceivedSpan[]) => {
  const { server, client } = httpPair(spans);
  return server !== undefined && client !== undefined;
};

function expectConnectedHttpTrace(spans: ReceivedSpan[]) {
  const { server, client } = httpPair(spans);
  expect(client, 'client span').toBeDefined();
  expect(server, 'server span').toBeDefined();
  expect(server!.traceId).toBe(client!.traceId);
  expect(server!.parentSpanId).toBe(client!.spanId);
  expect(server!.attributes['url.path'] ?? server!.attributes['http.target']).toBe('/hello');
  expect(server!.resource['service.name']).toBe('e2e-app');
  expect(server!.resource['service.version']).toBe('1.2.3');
  expect(server!.resource['telemetry.sdk.language']).toBe('nodejs');
  expect(server!.resource['telemetry.distro.name']).toBe('@org/otel-agent');
  expect(server!.resource['telemetry.distro.version']).toBe(AGENT_VERSION);
  expect(server!.resource['host.name']).toBeTypeOf('string');
  expect(server!.resource['process.pid']).toBeTypeOf('number');
}

const receiver = sharedReceiver();

function otlpEnv(protocol: 'http/protobuf' | 'http/json' | 'grpc' = 'http/protobuf'): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  };
}

describe('OTLP transports', () => {
  it.each(['http/protobuf', 'http/json', 'grpc'] as const)('%s: an HTTP server and client produce one connected trace', async (protocol) => {
    const run = await runApp({ files: { 'app.cjs': HTTP_APP_CJS, 'package.json': PACKAGE_JSON }, entry: 'app.cjs', env: otlpEnv(protocol) });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('status 200');
    const spans = await receiver.waitForSpans(hasHttpPair);
    expect(spans.every((s) => s.transport === protocol)).toBe(true);
    expectConnectedHttpTrace(spans);
    // W3C trace context went over the wire.
    const headers = JSON.parse(/headers (.*)/.exec(run.stdout)![1]) as Record<string, string>;
    expect(headers.traceparent).toMatch(new RegExp(`^00-${httpPair(spans).client!.traceId}-[0-9a-f]{16}-01$`));
  });
});

// Ends one span, optionally keeps running for STAY_MS, and at exit counts the process's threads that
// Node names "WorkerThread" (Node 24 and later name worker threads so; Linux shows names in /proc).
const SHORT_COMMAND_CJS = `
const fs = require('node:fs');
const { trace } = require('@opentelemetry/api');
trace.getTracer('cmd').startSpan('step', { attributes: { 'cmd.run': process.env.RUN_ID } }).end();
if (Number(process.env.STAY_MS) > 0) setTimeout(() => {}, Number(process.env.STAY_MS));
process.on('exit', () => {
  const names = fs.readdirSync('/proc/self/task').map((t) => { try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); } catch { return ''; } });
  console.log('worker threads ' + names.filter((n) => n === 'WorkerThread').length + ' (' + names.join(',') + ')');
});
`;

describe('a short traced command', () => {
  const named = process.platform === 'linux' && Number(process.versions.node.split('.')[0]) >= 24;
  it.skipIf(!named)('exports its spans at exit from its main thread: no export worker is started for it', async () => {
    const short = await runApp({ files: { 'cmd.cjs': SHORT_COMMAND_CJS }, entry: 'cmd.cjs', packages: ['@opentelemetry/api'], env: { ...otlpEnv(), RUN_ID: 'short', STAY_MS: '0' } });
    expect(short.stderr).toBe('');
    expect(short.stdout).toMatch(/^worker threads 0 /);
    await receiver.waitForSpans((spans) => spans.some((s) => s.name === 'step' && s.attributes['cmd.run'] === 'short'));
  });

  it.skipIf(!named)('a running program sends from its main thread while the collector accepts; a batch that needs retries starts the worker', async () => {
    // The batch goes out while the program runs (10 ms delay), not at its exit.
    const env = { ...otlpEnv(), STAY_MS: '1000', OTEL_BSP_SCHEDULE_DELAY: '10' };
    const long = await runApp({ files: { 'cmd.cjs': SHORT_COMMAND_CJS }, entry: 'cmd.cjs', packages: ['@opentelemetry/api'], env: { ...env, RUN_ID: 'long' } });
    expect(long.stderr).toBe('');
    expect(long.stdout).toMatch(/^worker threads 0 /);
    await receiver.waitForSpans((spans) => spans.some((s) => s.name === 'step' && s.attributes['cmd.run'] === 'long'));
    // A collector answering 503 (retryable): the upstream transport's retries run in the worker, which does
    // not hold the program open (the loss is reported at exit, the program is not affected).
    const unavailable = await startReceiver({ behavior: { kind: 'status', code: 503 } });
    try {
      const retried = await runApp({
        files: { 'cmd.cjs': SHORT_COMMAND_CJS }, entry: 'cmd.cjs', packages: ['@opentelemetry/api'],
        env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: unavailable.httpUrl, RUN_ID: 'retried' },
      });
      expect(retried.code).toBe(0);
      // At least one: under a loaded machine a second thread of that name has been seen once (cause not found).
      expect(retried.stdout).toMatch(/^worker threads [1-9]/);
      expect(unavailable.requests.length).toBeGreaterThan(0);
    } finally {
      await unavailable.close();
    }
  });
});

describe('ways of loading the agent', () => {
  const cases: [Preload, string, string][] = [
    ['import', 'app.cjs', HTTP_APP_CJS],
    ['require', 'app.cjs', HTTP_APP_CJS],
    ['node-options-import', 'app.cjs', HTTP_APP_CJS],
    ['node-options-require', 'app.cjs', HTTP_APP_CJS],
    ['import', 'app.mjs', HTTP_APP_ESM],
    ['node-options-import', 'app.mjs', HTTP_APP_ESM],
    ['require', 'app.mjs', HTTP_APP_ESM],
  ];
  it.each(cases)('--%s with %s', async (preload, entry, source) => {
    const run = await runApp({ files: { [entry]: source, 'package.json': PACKAGE_JSON }, entry, preload, env: otlpEnv() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectConnectedHttpTrace(await receiver.waitForSpans(hasHttpPair));
  });

  it('a "type": "module" app and the /register subpath', async () => {
    const run = await runApp({
      files: { 'app.js': HTTP_APP_ESM, 'package.json': JSON.stringify({ name: 'e2e-app', version: '1.2.3', type: 'module' }) },
      entry: 'app.js',
      preload: 'none',
      args: [],
      env: { ...otlpEnv(), NODE_OPTIONS: '--import @org/otel-agent/register' },
    });
    expect(run.stderr).toBe('');
    expectConnectedHttpTrace(await receiver.waitForSpans(hasHttpPair));
  });

  it('loaded twice (NODE_OPTIONS and --require) it starts once', async () => {
    const run = await runApp({
      files: { 'app.cjs': HTTP_APP_CJS, 'package.json': PACKAGE_JSON },
      entry: 'app.cjs',
      preload: 'require',
      env: { ...otlpEnv(), NODE_OPTIONS: '--import @org/otel-agent' },
    });
    expect(run.stderr).toBe('');
    const spans = await receiver.waitForSpans(hasHttpPair);
    await new Promise((r) => setImmediate(r));
    expect(spans.filter((s) => s.kind === SERVER)).toHaveLength(1);
    expect(spans.filter((s) => s.kind === CLIENT && s.name.startsWith('GET'))).toHaveLength(1);
  });
});

describe('library instrumentations load when the program loads the library', () => {
  const EXPRESS_ESM = `
import express from 'express';
import http from 'node:http';
const app = express();
app.get('/users/:id', (req, res) => res.send('user ' + req.params.id));
const server = app.listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/users/7', (res) => {
    res.resume();
    res.on('end', () => { console.log('done', res.statusCode); server.close(); });
  });
});
`;
  const EXPRESS_CJS = EXPRESS_ESM.replace("import express from 'express';", "const express = require('express');").replace("import http from 'node:http';", "const http = require('http');");
  it.each([
    ['app.mjs', EXPRESS_ESM, 'import'],
    ['app.cjs', EXPRESS_CJS, 'require'],
  ] as const)('express (%s)', async (entry, source, preload) => {
    const run = await runApp({ files: { [entry]: source, 'package.json': PACKAGE_JSON }, entry, preload, packages: ['express'], env: otlpEnv() });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('done 200');
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.kind === SERVER && x.name === 'GET /users/:id') && s.some((x) => x.kind === CLIENT));
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server.attributes['http.route']).toBe('/users/:id');
    // The agent's lean route hook names the route; no span per middleware unless OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS=true.
    expect(spans.filter((s) => /instrumentation-(express|router)$/.test(s.scope.name))).toEqual([]);
  });

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves a library untouched', async () => {
    await runApp({ files: { 'app.mjs': EXPRESS_ESM, 'package.json': PACKAGE_JSON }, entry: 'app.mjs', packages: ['express'], env: { ...otlpEnv(), OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express, router' } });
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.kind === SERVER) && s.some((x) => x.kind === CLIENT));
    expect(spans.filter((s) => s.kind !== SERVER && s.kind !== CLIENT && s.name !== 'tcp.connect').map((s) => s.name)).toEqual([]);
    expect(spans.find((s) => s.kind === SERVER)!.attributes['http.route']).toBeUndefined();
  });
});

describe('other exporters', () => {
  it('console', async () => {
    const run = await runApp({ files: { 'app.cjs': HTTP_APP_CJS }, entry: 'app.cjs', env: { OTEL_TRACES_EXPORTER: 'console' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/traceId: '[0-9a-f]{32}'/);
    expect(run.stdout).toContain("name: 'GET'");
  });

  it('kops-style trace file: JSON Lines of TracesData, parsed back', async () => {
    const run = await runApp({ files: { 'app.cjs': HTTP_APP_CJS, 'package.json': PACKAGE_JSON }, entry: 'app.cjs', env: { OTEL_EXPORTER_OTLP_TRACES_FILE: 'out/trace.jsonl' } });
    expect(run.stderr).toBe('');
    const lines = fs.readFileSync(path.join(run.dir, 'out', 'trace.jsonl'), 'utf8').trim().split('\n');
    const spans = lines.flatMap((line) => normalizeTracesData(JSON.parse(line), 'http/json'));
    expectConnectedHttpTrace(spans);
  });

  it('otlp/stdout prints JSON Lines on stdout', async () => {
    const run = await runApp({ files: { 'app.cjs': HTTP_APP_CJS, 'package.json': PACKAGE_JSON }, entry: 'app.cjs', env: { OTEL_TRACES_EXPORTER: 'otlp/stdout' } });
    const json = run.stdout.split('\n').filter((l) => l.startsWith('{"resourceSpans"'));
    expect(json.length).toBeGreaterThan(0);
    expectConnectedHttpTrace(json.flatMap((l) => normalizeTracesData(JSON.parse(l), 'http/json')));
  });
});

describe('project variables', () => {
  it('KubeVirt runner variables: KAR_TELEMETRY_* send OTLP with the runner service name', async () => {
    const run = await runApp({
      files: { 'app.cjs': HTTP_APP_CJS, 'package.json': PACKAGE_JSON },
      entry: 'app.cjs',
      env: { KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_EXPORT_TYPE: 'otlp', KAR_TELEMETRY_OTLP_ENDPOINT: receiver.httpUrl, KAR_TELEMETRY_SERVICE_VERSION: '9.9.9' },
    });
    expect(run.stderr).toBe('');
    const spans = await receiver.waitForSpans(hasHttpPair);
    expect(spans[0].resource['service.name']).toBe('kubevirt-actions-runner');
    expect(spans[0].resource['service.version']).toBe('9.9.9');
  });

  it('KAR_TELEMETRY_EXPORT_TYPE=stdout prints spans', async () => {
    const run = await runApp({ files: { 'app.cjs': HTTP_APP_CJS }, entry: 'app.cjs', env: { KAR_TELEMETRY_ENABLED: 'true', KAR_TELEMETRY_EXPORT_TYPE: 'stdout' } });
    expect(run.stdout).toContain("'service.name': 'kubevirt-actions-runner'");
  });

  it('b3 propagation when OTEL_PROPAGATORS asks, and baggage by default', async () => {
    const app = HTTP_APP_CJS.replace(
      "http.get('http://127.0.0.1:' + server.address().port + '/hello', ",
      "http.get('http://127.0.0.1:' + server.address().port + '/hello', { headers: {} }, ",
    );
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', env: { ...otlpEnv(), OTEL_PROPAGATORS: 'b3,baggage' } });
    const headers = JSON.parse(/headers (.*)/.exec(run.stdout)![1]) as Record<string, string>;
    expect(headers.b3).toMatch(/^[0-9a-f]{32}-[0-9a-f]{16}-1$/);
    expect(headers.traceparent).toBeUndefined();
  });
});

describe('the host program is untouched', () => {
  const OUTPUT_APP = `console.log('out'); console.error('err'); process.exitCode = 3;`;
  it.each([
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
    ['KAR_TELEMETRY_ENABLED=false', { KAR_TELEMETRY_ENABLED: 'false' }],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
  ])('%s: no spans, same output and exit code', async (_name, env) => {
    const run = await runApp({ files: { 'app.cjs': OUTPUT_APP + HTTP_APP_CJS }, entry: 'app.cjs', env: { ...otlpEnv(), ...env } });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('err\n');
    expect(run.stdout).toMatch(/^out\nstatus 200\n/);
    expect(receiver.requests).toEqual([]);
  });

  it('bad configuration: one warning naming the variable and value, the program runs on', async () => {
    const run = await runApp({ files: { 'app.cjs': OUTPUT_APP + HTTP_APP_CJS, 'package.json': PACKAGE_JSON }, entry: 'app.cjs', env: { ...otlpEnv(), OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'abc' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('[otel-agent] warning: OTEL_TRACES_SAMPLER_ARG="abc" is not a number from 0 to 1; using 1\nerr\n');
    expectConnectedHttpTrace(await receiver.waitForSpans(hasHttpPair));
  });

  it('a misspelled variable: one warning naming the variable meant, the program runs on', async () => {
    const run = await runApp({ files: { 'app.cjs': OUTPUT_APP + HTTP_APP_CJS, 'package.json': PACKAGE_JSON }, entry: 'app.cjs', env: { ...otlpEnv(), OTEL_SERVICENAME: 'typo', KARMA_BROWSERS: 'x' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('[otel-agent] warning: OTEL_SERVICENAME is not a variable the agent reads, so it is ignored: did you mean OTEL_SERVICE_NAME?\nerr\n');
    expectConnectedHttpTrace(await receiver.waitForSpans(hasHttpPair));
  });

  it('an unreachable collector: one warning, the exit code kept, exit bounded by the flush timeout', async () => {
    const run = await runApp({
      files: { 'app.cjs': OUTPUT_APP + HTTP_APP_CJS },
      entry: 'app.cjs',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_AGENT_FLUSH_TIMEOUT: '1000' },
      timeoutMs: 15_000,
    });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(3);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('[otel-agent]'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('http://127.0.0.1:9/v1/traces');
  });

  it('on Node below 22.15: one warning, nothing else', async () => {
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
      try {
        return fs.existsSync(p) && !/^v(2[2-9]|[3-9]\d)\./.test(require('node:child_process').execFileSync(p, ['--version'], { encoding: 'utf8' }));
      } catch {
        return false;
      }
    });
    if (!old) {
      console.log('skipped: no Node older than 22 on this machine');
      return;
    }
    const run = await runApp({ files: { 'app.cjs': OUTPUT_APP }, entry: 'app.cjs', preload: 'require', node: old, env: otlpEnv() });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('out\n');
    expect(run.stderr).toMatch(/^\[otel-agent\] warning: Node\.js 2\d\.\d+\.\d+ is not supported \(needs >= 22\.15\); tracing is off and the program runs untouched\nerr\n$/);
  });
});

describe('programmatic entry', () => {
  it('startAgent() with options, forceFlush() and shutdown()', async () => {
    const app = `
const { startAgent } = require('@org/otel-agent/api');
const agent = startAgent({ serviceName: 'coded', serviceVersion: '2.0.0', environment: 'staging', endpoint: process.env.ENDPOINT, protocol: 'http/json', samplingRate: 1, maxExportBatchSize: 10, maxQueueSize: 100, exportTimeoutMillis: 5000 });
const { trace } = require('@opentelemetry/api');
const span = trace.getTracer('manual').startSpan('work');
span.end();
agent.forceFlush().then(() => { console.log('flushed'); return agent.shutdown(); }).then(() => console.log('stopped'));
`;
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', preload: 'none', packages: ['@opentelemetry/api'], env: { ENDPOINT: receiver.httpUrl } });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('flushed\nstopped\n');
    const [span] = await receiver.waitForSpans((s) => s.some((x) => x.name === 'work'));
    expect(span.transport).toBe('http/json');
    expect(span.resource['service.name']).toBe('coded');
    expect(span.resource['service.version']).toBe('2.0.0');
    expect(span.resource['deployment.environment.name']).toBe('staging');
  });
});

describe('metrics and logs', () => {
  it('are not exported unless asked', async () => {
    await runApp({ files: { 'app.cjs': HTTP_APP_CJS }, entry: 'app.cjs', env: otlpEnv() });
    await receiver.waitForSpans(hasHttpPair);
    expect(receiver.requests.map((r) => r.path).filter((p) => p !== '/v1/traces')).toEqual([]);
  });
  it('OTEL_METRICS_EXPORTER=otlp sends the instrumentations\' metrics at exit', async () => {
    const run = await runApp({ files: { 'app.cjs': HTTP_APP_CJS }, entry: 'app.cjs', env: { ...otlpEnv(), OTEL_METRICS_EXPORTER: 'otlp' } });
    expect(run.code).toBe(0);
    await receiver.waitForSpans(hasHttpPair);
    expect(receiver.requests.map((r) => r.path)).toContain('/v1/metrics');
  });
});

describe('programs that are not a script file', () => {
  const cases: [string, string[], string | undefined, string][] = [
    ['node -e', ['-e', "console.log(require('node:module').isBuiltin('fs'))"], undefined, 'true\n'],
    ['node -p', ['-p', '6 * 7'], undefined, '42\n'],
    ['node --input-type=module -e', ['--input-type=module', '-e', "import { createRequire } from 'node:module'; console.log(typeof createRequire)"], undefined, 'function\n'],
    ['a script on stdin', [], "console.log('from stdin')", 'from stdin\n'],
  ];
  it.each(cases)('%s', async (_name, args, stdin, expected) => {
    const { spawnSync } = await import('node:child_process');
    const { makeAppDir, cleanEnv } = await import('../helpers/run-app.js');
    const dir = makeAppDir({});
    for (const preload of ['--import', '--require']) {
      const run = spawnSync(process.execPath, [preload, '@org/otel-agent', ...args], { cwd: dir, env: cleanEnv(otlpEnv()), input: stdin ?? '', encoding: 'utf8' });
      expect({ preload, stderr: run.stderr, stdout: run.stdout, status: run.status }).toEqual({ preload, stderr: '', stdout: expected, status: 0 });
    }
  });

  it('without a package.json, service.name is unknown_service:node also when node is started by its full path', async () => {
    const { spawnSync } = await import('node:child_process');
    const { makeAppDir, cleanEnv } = await import('../helpers/run-app.js');
    const { readTraceFile } = await import('../../src/trace-file/reader.js');
    const dir = makeAppDir({});
    const file = path.join(dir, 'spans.jsonl');
    const code = "require('node:http').get('http://127.0.0.1:1/').on('error', () => {})";
    // process.execPath is absolute: process.argv0 is the full path, which upstream's default would name the service after.
    const run = spawnSync(process.execPath, ['--import', '@org/otel-agent', '-e', code], { cwd: dir, env: cleanEnv({ OTEL_EXPORTER_OTLP_TRACES_FILE: file }), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const [request] = readTraceFile(file).requests as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[] }[];
    const attrs = request.resourceSpans[0].resource.attributes;
    expect(attrs.find((a) => a.key === 'service.name')?.value.stringValue).toBe('unknown_service:node');
  });

  it('builtins required with and without node: in a CJS app', async () => {
    const app = `const m = require('node:module'); const fs = require('fs'); const t = require('node:test'); console.log(typeof m.createRequire, typeof fs.readFileSync, typeof t);`;
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', preload: 'require', env: otlpEnv() });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('function function function\n');
  });
});

describe('legacy Jaeger settings end to end', () => {
  it('OTEL_TRACES_EXPORTER=jaeger with a collector endpoint and basic auth reaches OTLP on port 4318 of the same host', async () => {
    let jaegerHost: Receiver;
    try {
      jaegerHost = await startReceiver({ httpPort: 4318 });
    } catch (err) {
      console.log(`skipped: port 4318 on 127.0.0.1 is busy (${(err as Error).message})`);
      return;
    }
    try {
      const run = await runApp({
        files: { 'app.cjs': HTTP_APP_CJS, 'package.json': PACKAGE_JSON },
        entry: 'app.cjs',
        env: {
          OTEL_TRACES_EXPORTER: 'jaeger',
          OTEL_EXPORTER_JAEGER_ENDPOINT: 'http://127.0.0.1:14268/api/traces',
          OTEL_EXPORTER_JAEGER_USER: 'alice',
          OTEL_EXPORTER_JAEGER_PASSWORD: 'wonderland',
        },
      });
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(
        '[otel-agent] warning: legacy Jaeger settings mapped to OTLP: OTEL_TRACES_EXPORTER=jaeger -> otlp (http/protobuf); ' +
          'OTEL_EXPORTER_JAEGER_ENDPOINT=http://127.0.0.1:14268/api/traces -> http://127.0.0.1:4318/v1/traces; ' +
          'OTEL_EXPORTER_JAEGER_USER/PASSWORD -> an Authorization: Basic header\n',
      );
      expectConnectedHttpTrace(await jaegerHost.waitForSpans(hasHttpPair));
      expect(jaegerHost.requests[0].headers.authorization).toBe(`Basic ${Buffer.from('alice:wonderland').toString('base64')}`);
    } finally {
      await jaegerHost.close();
    }
  });
});
