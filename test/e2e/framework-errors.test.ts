// A route that throws, in each web framework, with the agent loaded: which span carries the exception, its status and message.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { cleanEnv, finished, makeAppDir, REPO_ROOT, runApp } from '../helpers/run-app';

const SERVER = 2;
const ERROR = 2;
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'frameworks');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const receiver = sharedReceiver();

/** Runs a framework app (its requests end once all paths answered), and returns its spans once its server spans arrived. */
async function traced(app: string, service: string, packages: string[], env: Record<string, string> = {}, serverSpans = 5) {
  const run = await runApp({
    files: { 'app.cjs': fixture(app), 'client.cjs': fixture('client.cjs') },
    entry: 'app.cjs',
    packages,
    // NODE_ENV=test: express's final handler does not print the stack.
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '100', NODE_ENV: 'test', ...env },
  });
  expect(run.stderr, `${service} stderr`).toBe('');
  expect(run.code, `${service} exit code`).toBe(0);
  const mine = (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === service);
  const spans = mine(await receiver.waitForSpans((all) => mine(all).filter((s) => s.kind === SERVER).length >= serverSpans));
  return { run, spans };
}

/** What a span says about an error: status, message, and its exception events' type and message (stack checked apart). */
function errorOf(span: ReceivedSpan | undefined) {
  if (!span) return undefined;
  const exceptions = span.events.filter((e) => e.name === 'exception');
  for (const e of exceptions) expect(String(e.attributes['exception.stacktrace']), span.name).toContain(String(e.attributes['exception.message']));
  return {
    status: span.status.code,
    message: span.status.message,
    exceptions: exceptions.map((e) => `${e.attributes['exception.type']}: ${e.attributes['exception.message']}`),
  };
}

const serverOf = (spans: ReceivedSpan[], urlPath: string) => spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === urlPath);

describe('express', () => {
  const packages = ['express'];

  it('the server span records the exception of a route that throws, rejects or calls next(err); a handled error leaves it unset', async () => {
    const { run, spans } = await traced('express.cjs', 'express-errors', packages, {}, 6);
    expect(run.stdout).toMatch(/^\/ok 200 ok\n\/sync 500 .*\n\/async 500 .*\n\/next 500 .*\n\/handled 200 recovered\n\/mw 500 .*\n$/);
    expect(errorOf(serverOf(spans, '/ok'))).toEqual({ status: 0, message: undefined, exceptions: [] });
    expect(errorOf(serverOf(spans, '/sync'))).toEqual({ status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] });
    expect(errorOf(serverOf(spans, '/async'))).toEqual({ status: ERROR, message: 'kaboom async', exceptions: ['Error: kaboom async'] });
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['Error: kaboom next'] });
    // The error handler answered 200: the exception is in the trace, the request is not a failure.
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    expect(errorOf(serverOf(spans, '/mw'))).toEqual({ status: ERROR, message: 'kaboom middleware', exceptions: ['RangeError: kaboom middleware'] });
    expect(serverOf(spans, '/sync')!.name).toBe('GET /sync');
  });

  it('express 4 (its own router): the same, from its Layer and router', async () => {
    // express 4 as `express` in the app (a copy: a link would resolve to node_modules/express4, a name no hook knows).
    const dir = makeAppDir({ 'app.cjs': fixture('express.cjs'), 'client.cjs': fixture('client.cjs') });
    fs.cpSync(path.join(REPO_ROOT, 'node_modules', 'express4'), path.join(dir, 'node_modules', 'express'), { recursive: true, dereference: true });
    const env = cleanEnv({ NODE_PATH: path.join(REPO_ROOT, 'node_modules'), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: 'express4-errors', OTEL_BSP_SCHEDULE_DELAY: '100', NODE_ENV: 'test' });
    const run = await finished(spawn(process.execPath, ['--import', '@org/otel-agent', 'app.cjs'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^\/ok 200 ok\n\/sync 500 .*\n\/next 500 .*\n\/handled 200 recovered\n\/mw 500 .*\n$/);
    const mine = (all: ReceivedSpan[]) => all.filter((s) => s.resource['service.name'] === 'express4-errors');
    const spans = mine(await receiver.waitForSpans((all) => mine(all).filter((s) => s.kind === SERVER).length >= 5));
    expect(errorOf(serverOf(spans, '/sync'))).toEqual({ status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] });
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['Error: kaboom next'] });
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    expect(errorOf(serverOf(spans, '/mw'))).toEqual({ status: ERROR, message: 'kaboom middleware', exceptions: ['RangeError: kaboom middleware'] });
    expect(serverOf(spans, '/sync')!.name).toBe('GET /sync');
  });

  it('upstream\'s express instrumentation records the same exceptions on its handler spans (the oracle)', async () => {
    const { spans } = await traced('express.cjs', 'express-upstream-errors', packages, { OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' }, 6);
    const handlerOf = (route: string) => spans.find((s) => s.attributes['express.type'] === 'request_handler' && s.attributes['http.route'] === route);
    expect(errorOf(handlerOf('/sync'))).toEqual({ status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] });
    expect(errorOf(handlerOf('/async'))).toEqual({ status: ERROR, message: 'kaboom async', exceptions: ['Error: kaboom async'] });
    expect(errorOf(handlerOf('/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['Error: kaboom next'] });
    expect(errorOf(handlerOf('/handled'))).toEqual({ status: ERROR, message: 'handled', exceptions: ['TypeError: handled'] });
    // The server span (the agent's) gets the handler span's exception, and the status of the response: as with the hook.
    expect(errorOf(serverOf(spans, '/sync'))).toEqual({ status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] });
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
  });
});

/** The framework's own spans of one request (by the server span's trace), with what they say about the error. */
function frameworkSpans(spans: ReceivedSpan[], urlPath: string, scope: RegExp) {
  const server = serverOf(spans, urlPath)!;
  return spans.filter((s) => s.traceId === server.traceId && scope.test(s.scope.name)).map((s) => ({ name: s.name, ...errorOf(s) }));
}

const KABOOM = { status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] };
const KABOOM_ASYNC = { status: ERROR, message: 'kaboom async', exceptions: ['Error: kaboom async'] };
const OK = { status: 0, message: undefined, exceptions: [] };

describe('koa (with @koa/router)', () => {
  it('app.use(not a function) throws koa\'s own error, as without the agent (upstream\'s patch read .router first)', async () => {
    const app = `
const Koa = require('koa');
for (const bad of [null, undefined, 0, 'x']) {
  try { new Koa().use(bad); console.log('accepted', String(bad)); } catch (err) { console.log(String(bad), err.constructor.name, err.message); }
}
new Koa().use(async (ctx, next) => next());
console.log('a function is accepted');
`;
    const withAgent = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', packages: ['koa'], env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl } });
    const without = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', packages: ['koa'], preload: 'none' });
    expect(without.stdout).toContain('null TypeError middleware must be a function!');
    expect([withAgent.code, withAgent.stdout, withAgent.stderr]).toEqual([without.code, without.stdout, without.stderr]);
  });

  it('koa\'s spans record the exception (status unset); the server span gets it, with the status message of the 500', async () => {
    const { run, spans } = await traced('koa.cjs', 'koa-errors', ['koa', '@koa/router']);
    expect(run.stdout).toBe('/ok 200 ok\n/sync 500 Internal Server Error\n/async 500 Internal Server Error\n/next 500 Internal Server Error\n/handled 200 recovered\n');
    expect(errorOf(serverOf(spans, '/ok'))).toEqual(OK);
    expect(errorOf(serverOf(spans, '/sync'))).toEqual(KABOOM);
    expect(errorOf(serverOf(spans, '/async'))).toEqual(KABOOM_ASYNC);
    // ctx.throw(500, ...): an http-errors error.
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['InternalServerError: kaboom next'] });
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    // Upstream's koa spans: the exception on each span it passed through, status left unset.
    expect(frameworkSpans(spans, '/sync', /instrumentation-koa$/).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'middleware - anonymous', status: 0, message: undefined, exceptions: ['Error: kaboom'] },
      { name: 'router - /sync', status: 0, message: undefined, exceptions: ['Error: kaboom'] },
    ]);
  });
});

describe('hapi', () => {
  it('the route span records a thrown error with ERROR and its message; the server span gets it too', async () => {
    const { run, spans } = await traced('hapi.cjs', 'hapi-errors', ['@hapi/hapi']);
    expect(run.stdout).toMatch(/^\/ok 200 ok\n\/sync 500 .*\n\/async 500 .*\n\/next 500 .*\n\/handled 200 recovered\n$/);
    expect(errorOf(serverOf(spans, '/ok'))).toEqual(OK);
    expect(errorOf(serverOf(spans, '/sync'))).toEqual(KABOOM);
    expect(errorOf(serverOf(spans, '/async'))).toEqual(KABOOM_ASYNC);
    // A handler that returns an Error (hapi answers 500): upstream's hapi instrumentation records nothing, nor does the agent.
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: undefined, exceptions: [] });
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    expect(frameworkSpans(spans, '/sync', /instrumentation-hapi$/).find((s) => s.name === 'route - /sync')).toEqual({ name: 'route - /sync', ...KABOOM });
    expect(frameworkSpans(spans, '/handled', /instrumentation-hapi$/).find((s) => s.name === 'route - /handled')).toMatchObject({ status: ERROR, message: 'handled' });
  });
});

describe('nestjs (@nestjs/core with @nestjs/platform-express)', () => {
  const packages = ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', 'reflect-metadata', 'rxjs'];

  it('the controller and handler spans record the exception with ERROR and its message; the server span gets it too', async () => {
    const { run, spans } = await traced('nest.cjs', 'nest-errors', packages);
    expect(run.stdout).toMatch(/^\/ok 200 ok\n\/sync 500 .*\n\/async 500 .*\n\/next 500 .*kaboom next.*\n\/handled 200 recovered\n$/);
    expect(errorOf(serverOf(spans, '/ok'))).toEqual(OK);
    expect(errorOf(serverOf(spans, '/sync'))).toEqual(KABOOM);
    expect(errorOf(serverOf(spans, '/async'))).toEqual(KABOOM_ASYNC);
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['HttpException: kaboom next'] });
    // The exception filter answered 200: the exception is in the trace, the request is not a failure (Nest's spans stay ERROR).
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    expect(frameworkSpans(spans, '/sync', /instrumentation-nestjs-core$/).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'AppController.sync', ...KABOOM },
      { name: 'sync', ...KABOOM },
    ]);
  });
});

describe('fastify (the agent\'s hook on fastify\'s tracing channel)', () => {
  it('the server span gets the route and the exception of a handler that throws or rejects', async () => {
    const { run, spans } = await traced('fastify.cjs', 'fastify-errors', ['fastify'], {}, 6);
    expect(run.stdout).toMatch(/^\/ok 200 ok\n\/sync 500 .*\n\/async 500 .*\n\/next 500 .*\n\/handled 200 recovered\n\/nothing 404 .*\n$/);
    // fastify's 404 handler is no route.
    expect(serverOf(spans, '/nothing')).toMatchObject({ name: 'GET', status: { code: 0 } });
    expect(serverOf(spans, '/nothing')!.attributes['http.route']).toBeUndefined();
    expect(serverOf(spans, '/sync')).toMatchObject({ name: 'GET /sync', attributes: { 'http.route': '/sync' } });
    expect(errorOf(serverOf(spans, '/ok'))).toEqual(OK);
    expect(errorOf(serverOf(spans, '/sync'))).toEqual(KABOOM);
    expect(errorOf(serverOf(spans, '/async'))).toEqual(KABOOM_ASYNC);
    // reply.send(err): not on fastify's channel, seen by the agent's onError hook.
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['Error: kaboom next'] });
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    // No span of its own.
    expect(spans.filter((s) => /fastify/.test(s.scope.name))).toEqual([]);
  });

  it('errors in hooks, in a plugin\'s hook and from reply.send(err) are recorded like a thrown one, once; a 4xx error leaves the status unset', async () => {
    const paths = 8;
    const run = await runApp({ files: { 'app.cjs': fixture('fastify-hooks.cjs'), 'client.cjs': fixture('client.cjs') }, entry: 'app.cjs', packages: ['fastify'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: 'fastify-hook-errors', OTEL_BSP_SCHEDULE_DELAY: '100' } });
    const without = await runApp({ files: { 'app.cjs': fixture('fastify-hooks.cjs'), 'client.cjs': fixture('client.cjs') }, entry: 'app.cjs', packages: ['fastify'], preload: 'none' });
    // The program's output and status codes are as without the agent.
    expect(without.stdout.split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      '/on-request 500', '/pre-validation 500', '/pre-handler 500', '/send 500', '/send-404 404', '/validation 400', '/thrown 500', '/plugin 500', '',
    ]);
    expect([run.code, run.stdout, run.stderr]).toEqual([without.code, without.stdout, without.stderr]);
    const mine = (all: ReceivedSpan[]) => all.filter((s) => s.resource['service.name'] === 'fastify-hook-errors');
    const spans = mine(await receiver.waitForSpans((all) => mine(all).filter((s) => s.kind === SERVER).length >= paths));
    expect(errorOf(serverOf(spans, '/on-request'))).toEqual({ status: ERROR, message: 'kaboom onRequest', exceptions: ['Error: kaboom onRequest'] });
    expect(errorOf(serverOf(spans, '/pre-validation'))).toEqual({ status: ERROR, message: 'kaboom preValidation', exceptions: ['RangeError: kaboom preValidation'] });
    expect(errorOf(serverOf(spans, '/pre-handler'))).toEqual({ status: ERROR, message: 'kaboom preHandler', exceptions: ['Error: kaboom preHandler'] });
    expect(errorOf(serverOf(spans, '/send'))).toEqual({ status: ERROR, message: 'kaboom send', exceptions: ['Error: kaboom send'] });
    // A 4xx: the error is in the trace, the request is not a server failure (as for a thrown error answered with a 4xx).
    expect(errorOf(serverOf(spans, '/send-404'))).toEqual({ status: 0, message: undefined, exceptions: ['Error: no such thing'] });
    expect(errorOf(serverOf(spans, '/validation'))).toEqual({ status: 0, message: undefined, exceptions: ['FST_ERR_VALIDATION: querystring must have required property \'q\''] });
    // Thrown in the handler: on the channel and in the onError hook, recorded once.
    expect(errorOf(serverOf(spans, '/thrown'))).toEqual({ status: ERROR, message: 'kaboom thrown', exceptions: ['Error: kaboom thrown'] });
    expect(errorOf(serverOf(spans, '/plugin'))).toEqual({ status: ERROR, message: 'kaboom plugin hook', exceptions: ['TypeError: kaboom plugin hook'] });
    expect(serverOf(spans, '/send')!.name).toBe('GET /send');
    expect(spans.filter((s) => /fastify/.test(s.scope.name))).toEqual([]);
  });
});
