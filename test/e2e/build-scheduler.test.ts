// The build-scheduler example traced with no code change: one trace of the whole run, with the seed's names and attributes.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { cleanEnv, REPO_ROOT } from '../helpers/run-app';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'build-scheduler');

let receiver: Receiver;
let spans: ReceivedSpan[];
let exitCode: number | null;
let stdout = '';

beforeAll(async () => {
  receiver = await startReceiver();
  const { agentEnv } = (await import(path.join(EXAMPLE, 'agent-env.mjs'))) as { agentEnv(register: string): Record<string, string> };
  const env = cleanEnv({ ...agentEnv(path.join(REPO_ROOT, 'dist', 'register.js')), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl });
  const child = spawn(process.execPath, ['scheduler.mjs', '--workers', '2'], { cwd: EXAMPLE, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  exitCode = await new Promise((resolve) => child.on('close', resolve));
  // Every process flushes before it exits; the scheduler is the last to exit.
  spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'scheduler.main'));
});
afterAll(async () => {
  await receiver.close();
});

const named = (name: string) => spans.filter((s) => s.name === name);
const byId = (id: string | undefined) => spans.find((s) => s.spanId === id);
const parentOf = (s: ReceivedSpan) => byId(s.parentSpanId);

describe('the build scheduler example', () => {
  it('runs as without the agent: one package fails', () => {
    expect(stdout).toBe('built 4 of 5 packages; failed: libbroken\n');
    expect(exitCode).toBe(1);
  });

  it('is one trace rooted at scheduler.main, with the phases under it', () => {
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const [main] = named('scheduler.main');
    expect(main.parentSpanId).toBeUndefined();
    expect(main.attributes['process.exit.code']).toBe(1);
    expect(main.status.code).toBe(2);
    const [graph] = named('scheduler.build_graph');
    expect(graph.parentSpanId).toBe(main.spanId);
    expect(graph.attributes).toMatchObject({ 'node.count': 5, 'worker.count': 2 });
    const workers = named('scheduler.worker');
    expect(workers.length).toBeGreaterThanOrEqual(2);
    expect(workers.every((w) => w.parentSpanId === graph.spanId)).toBe(true);
    expect(new Set(workers.map((w) => w.attributes['worker.id']))).toEqual(new Set([1, 2]));
  });

  it('builds: names and attributes from the rules file, a retry, a failure', () => {
    const builds = named('scheduler.build.LocalBuild');
    expect(builds.every((b) => parentOf(b)?.name === 'scheduler.worker')).toBe(true);
    const of = (pkg: string) => builds.filter((b) => b.attributes['package.name'] === pkg).sort((a, b) => Number(a.attributes['build.attempt']) - Number(b.attributes['build.attempt']));
    expect(of('zlib').map((b) => b.attributes['build.success'])).toEqual([true]);
    const curl = of('curl');
    expect(curl.map((b) => [b.attributes['build.attempt'], b.attributes['build.success']])).toEqual([['1', false], ['2', true]]);
    expect(curl[0].attributes['build.error']).toBe('exit code 2');
    expect(curl[0].status.code).toBe(2);
    expect(of('libbroken').map((b) => b.attributes['build.success'])).toEqual([false, false]);
    expect(curl[1].attributes).toMatchObject({ 'package.type': 'LocalBuild', 'package.architecture': 'x86_64', 'process.exit.code': 0 });
  });

  it('tests and license checks', () => {
    const tests = named('scheduler.build.Test');
    expect(Object.fromEntries(tests.map((t) => [t.attributes['package.name'], t.attributes['test.success']]))).toEqual({ zlib: true, openssl: true, curl: true, wget: false });
    const licenses = named('scheduler.license_check');
    const openssl = licenses.find((l) => l.attributes['package.name'] === 'openssl')!;
    expect(openssl.attributes).toMatchObject({ 'license.has_warnings': true, 'license.has_errors': false });
    expect(openssl.status.code).not.toBe(2);
  });

  it('TRACEPARENT crosses node -> make -> node -> sh -> node', () => {
    const build = named('scheduler.build.LocalBuild').find((b) => b.attributes['package.name'] === 'zlib')!;
    const compile = spans.find((s) => s.name === 'compile.mjs' && s.parentSpanId === build.spanId);
    expect(compile, 'the compiler process span under the make span').toBeDefined();
    const sh = spans.find((s) => s.name === 'sh' && s.parentSpanId === compile!.spanId);
    expect(sh, 'the sh child span under the compiler').toBeDefined();
    const inner = spans.find((s) => s.parentSpanId === sh!.spanId);
    expect(inner?.name).toBe('node');
    expect(inner?.attributes['process.pid']).toBeTypeOf('number');
  });
});
