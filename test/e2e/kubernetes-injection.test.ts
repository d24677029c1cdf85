// The Kubernetes operator's way, end to end: build/autoinstrumentation copied elsewhere, NODE_OPTIONS and the
// operator's OTEL_* variables set exactly so, and apps that never installed the agent (CJS and ESM, the app's
// own express and its own older @opentelemetry/api), exporting real OTLP to the local receiver.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDALONE_FILES } from '../../src/runtime/agent-files';
import { APP_API_1_9 } from '../global-setup';
import type { ReceivedSpan } from '../helpers/otlp-receiver';
import { cleanEnv, finished, REPO_ROOT, type Finished } from '../helpers/run-app';
import { sharedReceiver } from '../helpers/shared-receiver';

const BUILT = path.join(REPO_ROOT, 'build', 'autoinstrumentation');
const APP_API = path.join(APP_API_1_9.prefix, 'node_modules', '@opentelemetry', 'api');
const hasAppApi = fs.existsSync(path.join(APP_API, 'package.json'));
const AGENT_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const SERVER = 2;
const K8S_ATTRIBUTES = {
  'k8s.container.name': 'shop',
  'k8s.deployment.name': 'shop',
  'k8s.namespace.name': 'shop-ns',
  'k8s.node.name': 'node-1',
  'k8s.pod.name': 'shop-7d4b9c6f5-xk2p9',
  'k8s.replicaset.name': 'shop-7d4b9c6f5',
};

const receiver = sharedReceiver();

/** What the operator puts into the app container (see examples/kubernetes/pod-environment.yaml). */
function operatorEnv(folder: string, serviceName: string): Record<string, string> {
  return {
    NODE_OPTIONS: ` --require ${path.join(folder, 'autoinstrumentation.js')}`,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
    OTEL_RESOURCE_ATTRIBUTES: Object.entries(K8S_ATTRIBUTES).map(([k, v]) => `${k}=${v}`).join(','),
    OTEL_PROPAGATORS: 'tracecontext,baggage',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
    OTEL_NODE_IP: '10.0.0.5',
    OTEL_POD_IP: '10.244.1.17',
  };
}

// An express app that calls itself and makes a manual span with its own API copy inside the route.
const APP_BODY = `
function apiVersionAt(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) return JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
  }
}
const app = express();
app.get('/orders/:id', (req, res) => {
  const span = trace.getTracer('shop').startSpan('load-order');
  span.setAttribute('order.id', req.params.id);
  span.end();
  res.json({ id: req.params.id, apiVersion: apiVersion });
});
const server = app.listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/orders/42', (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log('got', body); server.close(); });
  });
});
`;
const APPS = {
  'app.cjs': `const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const { trace } = require('@opentelemetry/api');
const apiVersion = apiVersionAt(require.resolve('@opentelemetry/api'));
${APP_BODY}`,
  'app.mjs': `import http from 'node:http';
import express from 'express';
import { trace } from '@opentelemetry/api';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
const apiVersion = apiVersionAt(fileURLToPath(import.meta.resolve('@opentelemetry/api')));
${APP_BODY}`,
};

let folder = '';
/** Temp dirs this file made (the copied folder, the apps): removed at the end. */
const made: string[] = [];

/** An app dir outside the repo: its own express and @opentelemetry/api 1.9, no agent. */
function makeApp(files: Record<string, string>, links: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-k8s-app-'));
  made.push(dir);
  for (const [name, target] of Object.entries(links)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true });
    fs.symlinkSync(target, path.join(dir, 'node_modules', name), 'dir');
  }
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function run(dir: string, entry: string, env: Record<string, string>): Promise<Finished> {
  return finished(spawn(process.execPath, [entry], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
}

let buildOutput = '';
beforeAll(() => {
  // dist/ is built by `npm test`'s pretest; the bundling itself takes about a second.
  buildOutput = execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-autoinstrumentation.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  // The init container's copy: the folder must work from anywhere, with nothing of the repo's node_modules.
  const volume = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-k8s-volume-'));
  made.push(volume);
  folder = path.join(volume, 'otel-auto-instrumentation-nodejs');
  fs.cpSync(BUILT, folder, { recursive: true });
});

afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the folder as the operator injects it', () => {
  // By default the agent names express routes itself (no span per middleware); with
  // OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS=true the folder's upstream express and router instrumentations
  // patch the app's own express.
  const CASES = Object.keys(APPS).flatMap((entry) => [[entry, 'route hook'], [entry, 'upstream middleware spans']]);
  it.skipIf(!hasAppApi).each(CASES)('%s, %s: express spans, the app\'s own API 1.9 joins the trace, k8s resource attributes arrive', async (entry, mode) => {
    const upstream = mode === 'upstream middleware spans';
    const service = `shop-${entry.replace('.', '-')}${upstream ? '-mw' : ''}`;
    const dir = makeApp({ [entry]: APPS[entry as keyof typeof APPS] }, { express: path.join(REPO_ROOT, 'node_modules', 'express'), '@opentelemetry/api': APP_API });
    const result = await run(dir, entry, { ...operatorEnv(folder, service), ...(upstream ? { OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' } : {}) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('got {"id":"42","apiVersion":"1.9.0"}\n');

    const mine = (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === service);
    const spans = mine(await receiver.waitForSpans((all) => {
      const s = mine(all);
      return s.some((x) => x.name === 'load-order') && s.some((x) => x.kind === SERVER && x.name === 'GET /orders/:id') && (!upstream || s.some((x) => x.attributes['express.type'] === 'request_handler'));
    }));
    const server = spans.find((s) => s.kind === SERVER && s.name === 'GET /orders/:id')!;
    const manual = spans.find((s) => s.name === 'load-order')!;
    // The app's own express was patched by the folder's instrumentation: the route reached the server span.
    expect(server.attributes['http.route']).toBe('/orders/:id');
    const handler = spans.find((s) => s.attributes['express.type'] === 'request_handler');
    if (upstream) expect(handler?.traceId).toBe(server.traceId);
    else expect(spans.filter((s) => s.attributes['express.type'] !== undefined)).toEqual([]);
    // The span from the app's API copy joined the agent's trace, under the request.
    expect(manual.traceId).toBe(server.traceId);
    // (express 5: server > middleware > express request handler > router request handler > load-order)
    const ancestors: string[] = [];
    for (let s = manual; s.parentSpanId; ) {
      const parent = spans.find((p) => p.spanId === s.parentSpanId);
      if (!parent) break;
      ancestors.push(parent.spanId);
      s = parent;
    }
    if (upstream) expect(ancestors).toContain(handler!.spanId);
    else expect(manual.parentSpanId).toBe(server.spanId);
    expect(ancestors).toContain(server.spanId);
    expect(manual.attributes['order.id']).toBe('42');
    for (const [key, value] of Object.entries(K8S_ATTRIBUTES)) expect(manual.resource[key], key).toBe(value);
    expect(manual.resource['telemetry.distro.name']).toBe('@org/otel-agent');
    expect(manual.resource['telemetry.distro.version']).toBe(AGENT_VERSION);
  });

  it('--import by absolute path loads it too (ESM app)', async () => {
    const dir = makeApp({ 'app.mjs': "import { request } from 'node:http';\nconsole.log(typeof request);\n" }, {});
    const env = { ...operatorEnv(folder, 'shop-import'), NODE_OPTIONS: `--import ${path.join(folder, 'autoinstrumentation.js')}` };
    const result = await run(dir, 'app.mjs', { ...env, OTEL_AGENT_PROCESS_SPAN: 'on' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('function\n');
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.resource['service.name'] === 'shop-import'));
    expect(spans.find((s) => s.resource['service.name'] === 'shop-import')!.resource['k8s.pod.name']).toBe(K8S_ATTRIBUTES['k8s.pod.name']);
  });

  const OWN_SDK_APPS = {
    'trace.setGlobalTracerProvider': `
const { trace } = require('@opentelemetry/api');
const { TracerProvider, SimpleSpanProcessor, ConsoleSpanExporter } = require('@opentelemetry/sdk-trace');
const ok = trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] }));
trace.getTracer('own').startSpan('own-sdk-span').end();
console.log('registered', ok);
process.exitCode = 3;
`,
    'NodeSDK.start()': `
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { trace } = require('@opentelemetry/api');
new NodeSDK({ serviceName: 'mine' }).start();
trace.getTracer('own').startSpan('own-sdk-span').end();
console.log('registered', trace.getTracerProvider().constructor.name === 'ProxyTracerProvider');
process.exitCode = 3;
`,
  };
  it.skipIf(!hasAppApi).each(Object.keys(OWN_SDK_APPS))('an app that starts its own SDK (%s) next to the agent: one warning, its spans go through the agent, output and exit code unchanged', async (name) => {
    const service = `own-sdk-${name.replace(/\W/g, '')}`;
    const links = Object.fromEntries(['sdk-trace', 'sdk-node'].map((p) => [`@opentelemetry/${p}`, path.join(REPO_ROOT, 'node_modules', '@opentelemetry', p)]));
    const dir = makeApp({ 'app.cjs': OWN_SDK_APPS[name as keyof typeof OWN_SDK_APPS] }, { '@opentelemetry/api': APP_API, ...links });
    // NodeSDK's own metrics and logs exporters would retry against the receiver's missing endpoints at exit.
    const result = await run(dir, 'app.cjs', { ...operatorEnv(folder, service), OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
    const warnings = result.stderr.split('\n').filter(Boolean);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[otel-agent\] warning: the program starts its own OpenTelemetry SDK .*the program's spans go through the agent's pipeline/);
    expect(result.stdout).toBe(name === 'NodeSDK.start()' ? 'registered true\n' : 'registered false\n');
    expect(result.code).toBe(3);
    await receiver.waitForSpans((all) => all.some((s) => s.name === 'own-sdk-span' && s.resource['service.name'] === service));
  });
});

describe('the folder itself', () => {
  it('is built without announcing the optional packages the agent deliberately does not ship', () => {
    // @opentelemetry/winston-transport is left out on purpose (README, "Loggers"), so the build does not say so every time.
    expect(buildOutput).not.toContain('winston-transport');
    expect(buildOutput).toMatch(/: \d+ files, [\d.]+ MiB/);
  });

  it('is at most 10 MiB in at most 100 files, and needs nothing outside itself', () => {
    const files = listFiles(BUILT);
    const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    expect(files.length).toBeLessThanOrEqual(100);
    expect(bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
    // The bundles load each other by relative path. A bare name is a builtin, a package the folder has (read by
    // path), or one of these, required inside try/catch: the npm-layout fallback (never reached from the folder)
    // and an optional package nobody installs.
    const bare = new Set<string>();
    for (const file of files.filter((f) => /\.(m?js|cjs)$/.test(f))) {
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/require(?:\.resolve)?\("([^"]+)"\)/g)) {
        if (!spec.startsWith('.') && !spec.startsWith('node:') && !isBuiltin(spec) && !fs.existsSync(path.join(BUILT, 'node_modules', spec))) bare.add(spec);
      }
    }
    expect([...bare].sort()).toEqual(['@opentelemetry/auto-instrumentations-node', '@opentelemetry/winston-transport']);
    expect(fs.existsSync(path.join(BUILT, 'autoinstrumentation.js'))).toBe(true);
    for (const name of ['api', 'instrumentation']) expect(fs.existsSync(path.join(BUILT, 'node_modules', '@opentelemetry', name, 'index.js')), name).toBe(true);
    for (const name of ['import-in-the-middle/index.js', 'import-in-the-middle/hook.mjs', 'import-in-the-middle/register-hooks.mjs', 'import-in-the-middle/lib/register.js', 'require-in-the-middle/index.js']) {
      expect(fs.existsSync(path.join(BUILT, 'node_modules', name)), name).toBe(true);
    }
    // The worker and the exit sender, at the same place relative to the entry as in dist/.
    for (const file of STANDALONE_FILES) expect(fs.existsSync(path.join(BUILT, path.relative(path.join(REPO_ROOT, 'src'), file))), file).toBe(true);
  });
});

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? listFiles(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}
