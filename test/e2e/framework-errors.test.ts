// A route that throws, in each web framework, with the agent loaded: which span carries the exception, its status and message.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { runApp } from '../helpers/run-app';

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
    const { run, spans } = await traced('express.cjs', 'express-errors', packages);
    expect(run.stdout).toMatch(/^\/ok 200 ok\n\/sync 500 .*\n\/async 500 .*\n\/next 500 .*\n\/handled 200 recovered\n$/);
    expect(errorOf(serverOf(spans, '/ok'))).toEqual({ status: 0, message: undefined, exceptions: [] });
    expect(errorOf(serverOf(spans, '/sync'))).toEqual({ status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] });
    expect(errorOf(serverOf(spans, '/async'))).toEqual({ status: ERROR, message: 'kaboom async', exceptions: ['Error: kaboom async'] });
    expect(errorOf(serverOf(spans, '/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['Error: kaboom next'] });
    // The error handler answered 200: the exception is in the trace, the request is not a failure.
    expect(errorOf(serverOf(spans, '/handled'))).toEqual({ status: 0, message: undefined, exceptions: ['TypeError: handled'] });
    expect(serverOf(spans, '/sync')!.name).toBe('GET /sync');
  });

  it('upstream\'s express instrumentation records the same exceptions on its handler spans (the oracle)', async () => {
    const { spans } = await traced('express.cjs', 'express-upstream-errors', packages, { OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS: 'true' });
    const handlerOf = (route: string) => spans.find((s) => s.attributes['express.type'] === 'request_handler' && s.attributes['http.route'] === route);
    expect(errorOf(handlerOf('/sync'))).toEqual({ status: ERROR, message: 'kaboom', exceptions: ['Error: kaboom'] });
    expect(errorOf(handlerOf('/async'))).toEqual({ status: ERROR, message: 'kaboom async', exceptions: ['Error: kaboom async'] });
    expect(errorOf(handlerOf('/next'))).toEqual({ status: ERROR, message: 'kaboom next', exceptions: ['Error: kaboom next'] });
    expect(errorOf(handlerOf('/handled'))).toEqual({ status: ERROR, message: 'handled', exceptions: ['TypeError: handled'] });
    // Its server span (here the agent's, with the hook off) has the status of the response.
    expect(serverOf(spans, '/handled')!.status.code).toBe(0);
    expect(serverOf(spans, '/sync')!.status.code).toBe(ERROR);
  });
});
