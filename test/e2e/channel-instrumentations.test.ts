// Instrumentations fed by diagnostics channels (undici/fetch, fastify) work when the library is loaded by path or bundled, never resolved by name.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';

const receiver = sharedReceiver();
const UNDICI_SCOPE = '@org/otel-agent/instrumentation-undici';

/** The app as a program ships when bundled: one file with the library inlined, which no module hook ever sees by name. */
function bundle(app: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-bundle-'));
  fs.writeFileSync(path.join(dir, 'app.cjs'), app);
  const out = path.join(dir, 'bundle.cjs');
  buildSync({ entryPoints: [path.join(dir, 'app.cjs')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'silent', nodePaths: [path.join(__dirname, '..', '..', 'node_modules')] });
  const text = fs.readFileSync(out, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return text;
}

async function traced(app: string, service: string, until: (spans: ReceivedSpan[]) => boolean) {
  const run = await runApp({
    files: { 'app.cjs': bundle(app) },
    entry: 'app.cjs',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net,dns' },
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const mine = (all: ReceivedSpan[]) => all.filter((s) => s.resource['service.name'] === service);
  return { run, spans: mine(await receiver.waitForSpans((all) => until(mine(all)))) };
}

describe('channel-fed instrumentations start on the first message, whatever loaded the library', () => {
  it('undici bundled into the program (never resolved by name, global fetch never read): client span and traceparent, the first request included', async () => {
    const app = `
const http = require('node:http');
const undici = require('undici');
const seen = [];
const server = http.createServer((req, res) => { seen.push(req.headers.traceparent !== undefined); res.end('ok'); });
server.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port;
  for (const p of ['/first', '/second']) {
    const res = await undici.request(base + p);
    await res.body.text();
  }
  console.log('traceparent', seen.join(','));
  server.close();
});`;
    const { run, spans } = await traced(app, 'undici-bundled', (s) => s.filter((x) => x.scope.name === UNDICI_SCOPE).length >= 2);
    expect(run.stdout).toBe('traceparent true,true\n');
    const clients = spans.filter((s) => s.scope.name === UNDICI_SCOPE);
    expect(clients.map((s) => s.attributes['url.full']).sort()).toEqual([expect.stringMatching(/\/first$/), expect.stringMatching(/\/second$/)]);
    // Each client span is the parent of the server span its request made.
    for (const client of clients) expect(spans.some((s) => s.kind === 2 && s.parentSpanId === client.spanId)).toBe(true);
  });

  it('fastify bundled into the program: the server span is named by the route from the first request on', async () => {
    const app = `
const fastify = require('fastify')();
const http = require('node:http');
const get = (url) => new Promise((resolve, reject) => http.get(url, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
fastify.get('/users/:id', async (req) => ({ id: req.params.id }));
fastify.listen({ port: 0, host: '127.0.0.1' }).then(async (address) => {
  for (const id of ['1', '2']) await get(address + '/users/' + id);
  console.log('done');
  await fastify.close();
});`;
    const { run, spans } = await traced(app, 'fastify-bundled', (s) => s.filter((x) => x.kind === 2).length >= 2);
    expect(run.stdout).toBe('done\n');
    const servers = spans.filter((s) => s.kind === 2);
    expect(servers.map((s) => [s.name, s.attributes['http.route']])).toEqual([
      ['GET /users/:id', '/users/:id'],
      ['GET /users/:id', '/users/:id'],
    ]);
  });

  it('fastify bundled into the program: reply.send(err) and a hook\'s error reach the server span (onError hook added at the instance\'s creation)', async () => {
    const app = `
const fastify = require('fastify')();
const http = require('node:http');
const get = (url) => new Promise((resolve, reject) => http.get(url, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject));
fastify.get('/send', (req, reply) => { reply.send(new Error('bundled send')); });
fastify.get('/hook', { onRequest: async () => { throw new Error('bundled hook'); } }, async () => 'unreached');
fastify.listen({ port: 0, host: '127.0.0.1' }).then(async (address) => {
  console.log(await get(address + '/send'), await get(address + '/hook'));
  await fastify.close();
});`;
    const { run, spans } = await traced(app, 'fastify-bundled-errors', (s) => s.filter((x) => x.kind === 2).length >= 2);
    expect(run.stdout).toBe('500 500\n');
    const exceptionsOf = (urlPath: string) => spans.find((s) => s.kind === 2 && s.attributes['url.path'] === urlPath)!.events
      .filter((e) => e.name === 'exception').map((e) => e.attributes['exception.message']);
    expect(exceptionsOf('/send')).toEqual(['bundled send']);
    expect(exceptionsOf('/hook')).toEqual(['bundled hook']);
  });
});
