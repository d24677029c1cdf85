// Hostile hosts, export side: the permission model, dead collectors, bursts, credentials at exit. Each case runs
// as a user runs it (a separate Node process, the agent preloaded, the real receiver) and is compared with a run
// without the agent; every span is delivered or counted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeTracesData, startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { nodeMatrix } from '../helpers/node-versions';
import { cleanEnv, makeAppDir } from '../helpers/run-app';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  dir: string;
}

/** Runs `entry` with `nodeArgs` before it (the preload included when `agent`), in a fresh app directory. */
function run(files: Record<string, string>, opts: { agent: boolean; nodeArgs?: string[]; env?: Record<string, string>; timeoutMs?: number; dir?: string; node?: string }): Promise<Run> {
  const dir = opts.dir ?? makeAppDir(files, ['@opentelemetry/api']);
  const args = [...(opts.nodeArgs ?? []), ...(opts.agent ? ['--import', '@org/otel-agent'] : []), 'app.cjs'];
  const child = spawn(opts.node ?? process.execPath, args, { cwd: dir, env: cleanEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, dir });
    });
  });
}

const warningsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('[otel-agent]'));
const programStderr = (stderr: string) => stderr.split('\n').filter((l) => !l.startsWith('[otel-agent]'));

/** Output, exit code and signal are those of the run without the agent. */
function expectSameBehaviour(withAgent: Run, without: Run): void {
  expect({ code: withAgent.code, signal: withAgent.signal }).toEqual({ code: without.code, signal: without.signal });
  expect(withAgent.stdout).toBe(without.stdout);
  expect(programStderr(withAgent.stderr)).toEqual(programStderr(without.stderr));
}

/** The counts in the agent's loss warning for one destination (0 for a part it does not name). */
function lossCounts(warning: string | undefined) {
  const count = (re: RegExp) => Number(re.exec(warning ?? '')?.[1] ?? 0);
  return {
    queueFull: count(/(\d+) dropped because the queue was full/),
    notAccepted: count(/(\d+) not accepted by /),
    undelivered: count(/(\d+) undelivered when the process ended/),
    delivered: count(/(\d+) delivered/),
  };
}

/** A port nothing listens on: connections are refused at once. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP collector that accepts connections, reads the requests and never answers. */
async function silentCollector(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (d) => {
      if (d.includes('POST ')) requests++;
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const mine = (service: string) => (spans: ReceivedSpan[]) => spans.filter((s) => s.resource['service.name'] === service);
const uniqueService = (what: string) => `${what}-${Math.random().toString(36).slice(2)}`;

describe("Node's permission model (no --allow-worker, no --allow-child-process)", () => {
  const PERMISSION = ['--permission', '--allow-fs-read=*'];

  it('a program running past the worker start: runs on, spans sent from the main thread, one warning', async () => {
    const service = uniqueService('permission');
    // Longer than the export worker's start delay; spans end before and after it.
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('permission');
let n = 0;
const tick = () => { tracer.startSpan('tick-' + n).end(); console.log('tick ' + n); if (++n < 6) setTimeout(tick, 40); else console.error('done'); };
tick();
`;
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '50' };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, nodeArgs: PERMISSION, env }), run({ 'app.cjs': app }, { agent: false, nodeArgs: PERMISSION, env })]);
    expect(without.code).toBe(0);
    expectSameBehaviour(withAgent, without);
    const warnings = warningsOf(withAgent.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/permission model/);
    expect(warnings[0]).toMatch(/--allow-worker/);
    const spans = mine(service)(await receiver.waitForSpans((all) => mine(service)(all).length >= 6));
    expect(spans.map((s) => s.name).sort()).toEqual(['tick-0', 'tick-1', 'tick-2', 'tick-3', 'tick-4', 'tick-5']);
  });

  it('gRPC: the same, over a channel of the main thread', async () => {
    const service = uniqueService('permission-grpc');
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('permission');
let n = 0;
const tick = () => { tracer.startSpan('g-' + n).end(); if (++n < 4) setTimeout(tick, 40); else console.log('done'); };
tick();
`;
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '50' };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, nodeArgs: PERMISSION, env }), run({ 'app.cjs': app }, { agent: false, nodeArgs: PERMISSION, env })]);
    expectSameBehaviour(withAgent, without);
    expect(warningsOf(withAgent.stderr)).toHaveLength(1);
    const spans = mine(service)(await receiver.waitForSpans((all) => mine(service)(all).length >= 4));
    expect(spans.map((s) => s.name).sort()).toEqual(['g-0', 'g-1', 'g-2', 'g-3']);
  });

  it('process.exit() with spans pending: the program exits as without the agent; the spans are counted as lost', async () => {
    const service = uniqueService('permission-exit');
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('permission');
setTimeout(() => { for (let i = 0; i < 3; i++) tracer.startSpan('late-' + i).end(); console.log('bye'); process.exit(3); }, 120);
`;
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, nodeArgs: PERMISSION, env }), run({ 'app.cjs': app }, { agent: false, nodeArgs: PERMISSION, env })]);
    expect(without.code).toBe(3);
    expectSameBehaviour(withAgent, without);
    const warnings = warningsOf(withAgent.stderr);
    expect(warnings[0]).toMatch(/permission model/);
    expect(warnings.join('\n')).not.toMatch(/ERR_ACCESS_DENIED/);
    const loss = warnings.find((w) => w.includes('spans lost for'));
    const counts = lossCounts(loss);
    const received = mine(service)(receiver.spans).length;
    expect(counts.undelivered + received).toBe(3);
  });
});

// Node 25+ also restricts the network under --permission (--allow-net).
const node26 = nodeMatrix().find((n) => n.label.startsWith('Node 26') || n.label.startsWith('26'));
describe.runIf(node26)("Node's permission model on Node 26: the network (--allow-net)", () => {
  const PERMISSION = ['--permission', '--allow-fs-read=*'];
  const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('permission');
let n = 0;
const tick = () => { tracer.startSpan('net-' + n).end(); if (++n < 4) setTimeout(tick, 40); else console.log('done'); };
tick();
`;
  it('without --allow-net: no connection attempted, one warning, the spans counted', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_BSP_SCHEDULE_DELAY: '50' };
    const [withAgent, without] = await Promise.all([
      run({ 'app.cjs': app }, { agent: true, nodeArgs: PERMISSION, env, node: node26!.path }),
      run({ 'app.cjs': app }, { agent: false, nodeArgs: PERMISSION, env, node: node26!.path }),
    ]);
    expectSameBehaviour(withAgent, without);
    const warnings = warningsOf(withAgent.stderr);
    expect(warnings[0]).toMatch(/denies network access \(--allow-net\)/);
    expect(warnings.join('\n')).not.toMatch(/ERR_ACCESS_DENIED/);
    const counts = lossCounts(warnings.find((w) => w.includes('spans lost for')));
    expect(counts.notAccepted + counts.undelivered).toBe(4);
  });
  it('with --allow-net: delivered from the main thread', async () => {
    const service = uniqueService('permission-net');
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '50' };
    const withAgent = await run({ 'app.cjs': app }, { agent: true, nodeArgs: [...PERMISSION, '--allow-net'], env, node: node26!.path });
    expect(withAgent.code).toBe(0);
    expect(withAgent.stdout).toBe('done\n');
    const spans = mine(service)(await receiver.waitForSpans((all) => mine(service)(all).length >= 4));
    expect(spans).toHaveLength(4);
  });
});

describe('dead collectors', () => {
  it('a collector refusing connections: the exit does not wait out the flush timeout; the spans are counted', async () => {
    const port = await refusedPort();
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('refused');
for (let i = 0; i < 3; i++) tracer.startSpan('s' + i).end();
console.log('done');
`;
    // Flush and export timeouts far above the transport's retry schedule (1 s, 1.5 s, 2.25 s, ...): an exit
    // that retried the refused connection would run into the kill at 8 s; one that gives up at the
    // refusal ends as the program does.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_AGENT_FLUSH_TIMEOUT: '60000', OTEL_EXPORTER_OTLP_TIMEOUT: '60000' };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, env, timeoutMs: 8_000 }), run({ 'app.cjs': app }, { agent: false, env })]);
    expectSameBehaviour(withAgent, without);
    const warnings = warningsOf(withAgent.stderr);
    expect(warnings).toHaveLength(1);
    const loss = warnings.find((w) => w.includes('spans lost for'));
    expect(loss).toContain('ECONNREFUSED');
    expect(loss).not.toContain('no answer within');
    const counts = lossCounts(loss);
    expect(counts.notAccepted + counts.undelivered).toBe(3);
    expect(counts.delivered).toBe(0);
  });

  it('a collector refusing connections, a longer program whose batches wait in the worker retries: the exit does not wait for them', async () => {
    const port = await refusedPort();
    // Spans early, exported by the schedule and retried in the worker; nothing new at the end.
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('refused');
for (let i = 0; i < 3; i++) tracer.startSpan('s' + i).end();
setTimeout(() => console.log('done'), 600);
`;
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_AGENT_FLUSH_TIMEOUT: '60000', OTEL_EXPORTER_OTLP_TIMEOUT: '60000', OTEL_BSP_SCHEDULE_DELAY: '20' };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, env, timeoutMs: 8_000 }), run({ 'app.cjs': app }, { agent: false, env })]);
    expectSameBehaviour(withAgent, without);
    const loss = warningsOf(withAgent.stderr).find((w) => w.includes('spans lost for'));
    expect(loss).toContain('ECONNREFUSED');
    const counts = lossCounts(loss);
    expect(counts.notAccepted + counts.undelivered, loss).toBe(3);
  });

  it('a collector that accepts and never answers, 20k spans/s: the exit is bounded and every span is counted', async () => {
    const collector = await silentCollector();
    try {
      const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('silent');
const RATE = 20000, SECONDS = 1.5, start = performance.now();
let created = 0;
function tick() {
  const due = Math.min(RATE * SECONDS, Math.floor((RATE * (performance.now() - start)) / 1000));
  for (; created < due; created++) tracer.startSpan('span').end();
  if (created < RATE * SECONDS) setTimeout(tick, 10); else console.log('created ' + created);
}
tick();
`;
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_AGENT_FLUSH_TIMEOUT: '500' };
      const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, env, timeoutMs: 30_000 }), run({ 'app.cjs': app }, { agent: false, env })]);
      expectSameBehaviour(withAgent, without);
      expect(collector.requests()).toBeGreaterThan(0);
      const loss = warningsOf(withAgent.stderr).find((w) => w.includes('spans lost for'));
      const counts = lossCounts(loss);
      expect(counts.delivered).toBe(0);
      expect(counts.queueFull + counts.notAccepted + counts.undelivered, loss).toBe(30_000);
    } finally {
      await collector.close();
    }
  });
});

describe('bursts', () => {
  it('100k spans in one burst with OTEL_BSP_MAX_QUEUE_SIZE=200000: all delivered', async () => {
    const service = uniqueService('burst');
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('burst');
for (let i = 0; i < 100000; i++) tracer.startSpan('b').end();
console.log('done');
`;
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_BSP_MAX_QUEUE_SIZE: '200000' };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, env, timeoutMs: 60_000 }), run({ 'app.cjs': app }, { agent: false, env })]);
    expectSameBehaviour(withAgent, without);
    expect(warningsOf(withAgent.stderr)).toEqual([]);
    const count = () => receiver.spans.reduce((n, s) => n + (s.resource['service.name'] === service ? 1 : 0), 0);
    await receiver.waitForSpans(() => count() >= 100_000, 30_000);
    expect(count()).toBe(100_000);
  }, 120_000);

  it('a trace file with the default queue, 5,000 spans at 1,000 per tick: all written', async () => {
    const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('kops');
let tick = 0;
const burst = () => { for (let i = 0; i < 1000; i++) tracer.startSpan('op-' + tick + '-' + i).end(); if (++tick < 5) setImmediate(burst); else console.log('done'); };
burst();
`;
    const env = { OTEL_EXPORTER_OTLP_TRACES_FILE: 'trace.jsonl' };
    const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, env }), run({ 'app.cjs': app }, { agent: false, env })]);
    expectSameBehaviour(withAgent, without);
    expect(warningsOf(withAgent.stderr)).toEqual([]);
    const lines = fs.readFileSync(path.join(withAgent.dir, 'trace.jsonl'), 'utf8').trim().split('\n');
    const names = lines.flatMap((line) => normalizeTracesData(JSON.parse(line), 'http/json')).map((s) => s.name);
    expect(names).toHaveLength(5000);
    expect(new Set(names).size).toBe(5000);
  });
});

describe('credentials at exit', () => {
  it("the collector's headers never appear on a command line during the exit flush", async () => {
    const service = uniqueService('cmdline');
    const token = `tok${Math.random().toString(36).slice(2)}secret`;
    // The collector answers late, so the exit sender is alive while the process table is read.
    receiver.setBehavior({ kind: 'delay', ms: 1500 });
    try {
      const app = `
const { trace } = require('@opentelemetry/api');
trace.getTracer('exit').startSpan('before-exit').end();
console.log('bye');
process.exit(2);
`;
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${token}` };
      const running = run({ 'app.cjs': app }, { agent: true, env });
      // The span arrives while the sender still waits for the answer: read every command line now.
      await receiver.waitForSpans((all) => mine(service)(all).length > 0, 15_000);
      const cmdlines: string[] = [];
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          cmdlines.push(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
        } catch {
          // The process ended meanwhile.
        }
      }
      const withAgent = await running;
      const without = await run({ 'app.cjs': app }, { agent: false, env });
      expectSameBehaviour(withAgent, without);
      // The sender was seen, so the scan covered it; no command line holds the token.
      expect(cmdlines.some((c) => c.includes('exit-sender.js'))).toBe(true);
      expect(cmdlines.filter((c) => c.includes(token))).toEqual([]);
      const request = receiver.requests.find((r) => r.headers.authorization === `Bearer ${token}`);
      expect(request).toBeDefined();
    } finally {
      receiver.setBehavior({ kind: 'ok' });
    }
  });
});

describe('batches in flight at exit', () => {
  it('process.exit() with batches awaiting an answer: their request bodies are resent with the queued spans, none lost', async () => {
    const service = uniqueService('in-flight');
    // The collector records each request at once and answers late: the first batches are still in flight at the exit.
    receiver.setBehavior({ kind: 'delay', ms: 1500 });
    try {
      const app = `
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('in-flight');
// Two full batches (512) go out at once; 176 stay queued.
for (let i = 0; i < 1200; i++) tracer.startSpan('span-' + i).end();
setTimeout(() => {
  console.log('bye');
  process.exit(3);
}, 300);
`;
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_SERVICE_NAME: service, OTEL_AGENT_FLUSH_TIMEOUT: '10000' };
      const [withAgent, without] = await Promise.all([run({ 'app.cjs': app }, { agent: true, env }), run({ 'app.cjs': app }, { agent: false, env })]);
      expectSameBehaviour(withAgent, without);
      expect(warningsOf(withAgent.stderr)).toEqual([]);
      const names = mine(service)(receiver.spans).map((s) => s.name);
      // Every span arrived; the batches in flight arrived twice (once from the exporter, once resent at the exit).
      expect(new Set(names).size).toBe(1200);
      expect(names.length).toBeGreaterThan(1200);
    } finally {
      receiver.setBehavior({ kind: 'ok' });
    }
  });
});
