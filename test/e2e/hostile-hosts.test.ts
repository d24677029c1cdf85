// Hostile hosts (issue 12): every way a production host takes something away, run as a user runs it: a separate
// Node process with the agent preloaded, the real receiver, and the same program without the agent to compare
// with. Its output, exit code and signal are the same, and every span is delivered or counted.
// Export side: the permission model, dead collectors, bursts, credentials at exit. Host side: trace paths the
// kernel refuses, unprivileged users in read-only directories, a deleted working directory, a closed stderr,
// command lines whose paths must not be redacted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeMatrix } from '../helpers/node-versions';
import { normalizeTracesData, startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { cleanEnv, finished, makeAppDir, preloadArgs, REPO_ROOT, type Finished, type RunResult } from '../helpers/run-app';
import { sharedReceiver } from '../helpers/shared-receiver';

describe('hostile hosts, export side', () => {
  type Run = RunResult;

  /** Runs `entry` with `nodeArgs` before it (the preload included when `agent`), in a fresh app directory. */
  function run(files: Record<string, string>, opts: { agent: boolean; nodeArgs?: string[]; env?: Record<string, string>; timeoutMs?: number; dir?: string; node?: string }): Promise<Run> {
    const dir = opts.dir ?? makeAppDir(files, ['@opentelemetry/api']);
    const args = [...(opts.nodeArgs ?? []), ...(opts.agent ? ['--import', '@org/otel-agent'] : []), 'app.cjs'];
    const child = spawn(opts.node ?? process.execPath, args, { cwd: dir, env: cleanEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    return finished(child, opts.timeoutMs ?? 60_000).then((result) => ({ ...result, dir }));
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
});

describe('hostile hosts, the host itself', () => {
  const receiver = sharedReceiver();

  const isLinux = process.platform === 'linux';
  const isRoot = process.getuid?.() === 0;
  const NOBODY = 65534;
  // An OpenShift-style arbitrary uid with no passwd entry (os.userInfo() throws for it).
  const NO_PASSWD_UID = 1000650000;

  type Outcome = Finished;

  interface Launch {
    dir: string;
    agent: boolean;
    env?: Record<string, string | undefined>;
    uid?: number;
    gid?: number;
    /** Called with stderr as it grows; may kill the child. */
    onStderr?: (stderr: string, kill: (signal: NodeJS.Signals) => void) => void;
  }

  /** Runs app.cjs in `dir` with or without the agent, as `uid` if given; SIGKILL after 20 s so a hang fails the test instead of stalling it. */
  function launch({ dir, agent, env = {}, uid, gid, onStderr }: Launch): Promise<Outcome> {
    const { args } = preloadArgs(agent ? 'import' : 'none');
    // No HOME, as for a service account; the parent's PATH so `sh` is found.
    const childEnv = cleanEnv({ ...env, HOME: undefined });
    delete childEnv.HOME;
    const child = spawn(process.execPath, [...args, 'app.cjs'], { cwd: dir, env: childEnv, uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = (signal: NodeJS.Signals) => child.kill(signal);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr, kill);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  const warningsOf = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('[otel-agent]'));
  const programStderr = (stderr: string) => stderr.split('\n').filter((l) => !l.startsWith('[otel-agent]'));

  /** The program behaved exactly as without the agent: same stdout, exit code, signal, and its own stderr lines. */
  function expectSameProgram(withAgent: Outcome, without: Outcome): void {
    expect(withAgent.signal).toBe(without.signal);
    expect(withAgent.code).toBe(without.code);
    expect(withAgent.stdout).toBe(without.stdout);
    expect(programStderr(withAgent.stderr)).toEqual(programStderr(without.stderr));
  }

  /** The counts in "spans lost for <destination>: 3 not accepted by ...; 0 delivered", by reason. */
  function lossReport(stderr: string, destination: string): { lost: number; delivered: number } {
    const prefix = `[otel-agent] warning: spans lost for ${destination}: `;
    const lines = warningsOf(stderr).filter((l) => l.startsWith(prefix));
    expect(lines, `one loss report for ${destination} in:\n${stderr}`).toHaveLength(1);
    let lost = 0;
    let delivered = 0;
    for (const part of lines[0].slice(prefix.length).split('; ')) {
      const m = /^(\d+) (.*)$/.exec(part);
      expect(m, part).not.toBeNull();
      if (m![2] === 'delivered') delivered += Number(m![1]);
      else lost += Number(m![1]);
    }
    return { lost, delivered };
  }

  const SPAN_NAMES = ['first', 'second', 'third'];
  /** Three spans, output on both streams, its own exit code. */
  const APP = `
  const { trace } = require('@opentelemetry/api');
  const tracer = trace.getTracer('hostile-hosts');
  for (const name of ${JSON.stringify(SPAN_NAMES)}) tracer.startSpan(name).end();
  console.log('out');
  console.error('err');
  process.exitCode = 5;
  `;

  function appDir(files: Record<string, string> = { 'app.cjs': APP }): string {
    return makeAppDir(files, ['@opentelemetry/api']);
  }

  describe('a trace path the kernel refuses: one warning with the path and the cause, the program exits as usual, the spans are counted', () => {
    const LONG = path.join(os.tmpdir(), 'n'.repeat(300), 'trace.jsonl');
    const cases: [string, string, string, RegExp][] = [
      ['a missing directory under /proc (Node mkdir -p spins forever there)', 'OTEL_EXPORTER_OTLP_TRACES_FILE', '/proc/no-such-dir/trace', /cannot create directory \/proc\/no-such-dir: no such file or directory \(ENOENT\)/],
      ['a trace directory under /proc', 'OTEL_EXPORTER_OTLP_TRACES_DIR', '/proc/no-such-dir/traces', /cannot create directory \/proc\/no-such-dir: no such file or directory \(ENOENT\)/],
      ['a missing directory under /sys', 'OTEL_EXPORTER_OTLP_TRACES_FILE', '/sys/no-such-dir/trace', /cannot create directory \/sys\/no-such-dir: .*\((EPERM|EACCES|EROFS|ENOENT)\)/],
      ['a parent that is a file', 'OTEL_EXPORTER_OTLP_TRACES_FILE', 'app.cjs/traces/trace.jsonl', /app\.cjs is not a directory/],
      ['a name too long', 'OTEL_EXPORTER_OTLP_TRACES_FILE', LONG, /\(ENAMETOOLONG\)/],
    ];
    it.runIf(isLinux).each(cases)('%s', async (_name, variable, target, cause) => {
      const dir = appDir();
      const [withAgent, without] = await Promise.all([
        launch({ dir, agent: true, env: { [variable]: target } }),
        launch({ dir, agent: false, env: { [variable]: target } }),
      ]);
      expect(without).toMatchObject({ code: 5, signal: null, stdout: 'out\n' });
      expectSameProgram(withAgent, without);
      // One warning names the path, the cause, the variable to fix and the count of lost spans.
      const warnings = warningsOf(withAgent.stderr);
      expect(warnings, withAgent.stderr).toHaveLength(1);
      expect(warnings[0]).toMatch(cause);
      expect(warnings[0]).toContain(`spans lost for file ${target}: `);
      expect(warnings[0]).toContain(`(from ${variable})`);
      // Every span is counted as lost for the file (named as the variable has it); nothing was written.
      expect(lossReport(withAgent.stderr, `file ${target}`)).toEqual({ lost: SPAN_NAMES.length, delivered: 0 });
      expect(fs.existsSync(path.resolve(dir, target))).toBe(false);
    });

    it.runIf(isLinux)('with a collector too: the collector gets every span, the file counts them lost', async () => {
      const dir = appDir();
      const env = { OTEL_EXPORTER_OTLP_TRACES_FILE: '/proc/no-such-dir/trace', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl };
      const [withAgent, without] = await Promise.all([launch({ dir, agent: true, env }), launch({ dir, agent: false, env })]);
      expectSameProgram(withAgent, without);
      const spans = await receiver.waitForSpans((s) => s.length >= SPAN_NAMES.length);
      expect(spans.map((s) => s.name).sort()).toEqual([...SPAN_NAMES].sort());
      expect(lossReport(withAgent.stderr, 'file /proc/no-such-dir/trace')).toEqual({ lost: SPAN_NAMES.length, delivered: 0 });
    });

    it.runIf(isLinux)('a long-running program keeps answering SIGTERM after its export to /proc failed', async () => {
      const app = `
  const { trace } = require('@opentelemetry/api');
  trace.getTracer('hostile-hosts').startSpan('before-term').end();
  console.log('ready');
  setInterval(() => {}, 1000);
  `;
      const dir = appDir({ 'app.cjs': app });
      const env = { OTEL_EXPORTER_OTLP_TRACES_FILE: '/proc/no-such-dir/trace', OTEL_BSP_SCHEDULE_DELAY: '10' };
      // With the agent: SIGTERM once the export has failed (its warning is out); without: once the program runs.
      const withAgent = await launch({
        dir,
        agent: true,
        env,
        onStderr: (stderr, kill) => {
          if (stderr.includes('cannot export spans to file /proc/no-such-dir/trace: ')) kill('SIGTERM');
        },
      });
      const without = await new Promise<Outcome>((resolve, reject) => {
        const child = spawn(process.execPath, ['app.cjs'], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          if (stdout.includes('ready\n')) child.kill('SIGTERM');
        });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr: '' }));
      });
      expect(without).toMatchObject({ code: null, signal: 'SIGTERM', stdout: 'ready\n' });
      expect(withAgent.signal).toBe(without.signal);
      expect(withAgent.code).toBe(without.code);
      expect(withAgent.stdout).toBe(without.stdout);
      expect(programStderr(withAgent.stderr)).toEqual(['']);
      expect(lossReport(withAgent.stderr, 'file /proc/no-such-dir/trace')).toEqual({ lost: 1, delivered: 0 });
    });
  });

  /** An app directory only root can write to: for any other user, a read-only working directory. */
  function readOnlyAppDir(files?: Record<string, string>): string {
    const dir = appDir(files);
    fs.chmodSync(dir, 0o555);
    return dir;
  }

  /** Whether any user may reach `file` (every ancestor searchable by others) and read it. */
  function othersCanRead(file: string): boolean {
    try {
      if ((fs.statSync(file).mode & 0o004) === 0) return false;
      for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
        if ((fs.statSync(dir).mode & 0o001) === 0) return false;
        if (path.dirname(dir) === dir) return true;
      }
    } catch {
      return false;
    }
  }
  // Another user must be able to run this Node and load the agent from this checkout (not so under a 0700 /root).
  const othersCanRunAgent = othersCanRead(process.execPath) && othersCanRead(path.join(REPO_ROOT, 'dist', 'register.js')) && othersCanRead(os.tmpdir());

  // These need to start the child as another user, which only root can do (CI runs the tests as root).
  describe.runIf(isLinux && isRoot && othersCanRunAgent)('an unprivileged user with no HOME in a read-only working directory (runs only as root, with a checkout other users can read: it starts children as other users)', () => {
    it.each([
      ['nobody (65534)', NOBODY, NOBODY],
      ['a uid with no passwd entry, group root (OpenShift)', NO_PASSWD_UID, 0],
    ])('%s: the program runs as without the agent and every span arrives, with no warning', async (_name, uid, gid) => {
      const dir = readOnlyAppDir();
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl };
      const [withAgent, without] = await Promise.all([launch({ dir, agent: true, env, uid, gid }), launch({ dir, agent: false, env, uid, gid })]);
      expect(without).toMatchObject({ code: 5, signal: null, stdout: 'out\n' });
      expectSameProgram(withAgent, without);
      expect(warningsOf(withAgent.stderr)).toEqual([]);
      const spans = await receiver.waitForSpans((s) => s.length >= SPAN_NAMES.length);
      expect(spans.map((s) => s.name).sort()).toEqual([...SPAN_NAMES].sort());
      // The user's name when the system knows it; left out (not an error) when it does not.
      expect(spans[0].resource['process.owner']).toBe(uid === NOBODY ? 'nobody' : undefined);
      // Nothing was written into the working directory.
      expect(fs.readdirSync(dir).sort()).toEqual(['app.cjs', 'node_modules']);
    });

    it.each([
      ['a trace file in the read-only directory', 'out.jsonl', /not accepted by file out\.jsonl: permission denied \(EACCES\) \(from OTEL_EXPORTER_OTLP_TRACES_FILE\)/],
      ['a trace file in a directory it cannot create there', 'traces/out.jsonl', /not accepted by file traces\/out\.jsonl: cannot create directory \/.*\/traces: permission denied \(EACCES\)/],
    ])('nobody, %s: one warning naming the path and the cause, the spans are counted, the program runs on', async (_name, target, cause) => {
      const dir = readOnlyAppDir();
      const env = { OTEL_EXPORTER_OTLP_TRACES_FILE: target };
      const [withAgent, without] = await Promise.all([
        launch({ dir, agent: true, env, uid: NOBODY, gid: NOBODY }),
        launch({ dir, agent: false, env, uid: NOBODY, gid: NOBODY }),
      ]);
      expectSameProgram(withAgent, without);
      const warnings = warningsOf(withAgent.stderr);
      expect(warnings, withAgent.stderr).toHaveLength(1);
      expect(warnings[0]).toMatch(cause);
      expect(lossReport(withAgent.stderr, `file ${target}`)).toEqual({ lost: SPAN_NAMES.length, delivered: 0 });
      expect(fs.readdirSync(dir).sort()).toEqual(['app.cjs', 'node_modules']);
    });
  });

  describe('redaction of real command lines: paths are kept, secrets are not', () => {
    const CHILD_SCOPE = '@org/otel-agent/instrumentation-child-process';
    // Runs node under a long, dot-free path (the shape of a token) through sh -c and execFile, with secrets beside it.
    const APP_CHILDREN = `
  const cp = require('node:child_process');
  const fs = require('node:fs');
  const path = require('node:path');
  const bin = path.resolve('tools/node-runtime/current/bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const exe = path.join(bin, 'node');
  const done = (child) => new Promise((resolve) => child.on('close', resolve));
  (async () => {
    await done(cp.spawn('sh', ['-c', exe + ' script.js --token s3cr3t-value https://user:pw@example.invalid/x'], { stdio: 'inherit' }));
    await done(cp.spawn('sh', ['-c', exe + ' script.js wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], { stdio: 'inherit' }));
    await done(cp.execFile(exe, ['script.js', '--prefix=' + bin], (err, stdout) => process.stdout.write(stdout)));
    console.log('done');
  })();
  `;
    const SCRIPT = `console.log('child saw ' + JSON.stringify(process.argv.slice(2)));\n`;

    it('sh -c "<long path>/node script.js" is recorded as written, with the secrets after it redacted; the children see the real values', async () => {
      const files = { 'app.cjs': APP_CHILDREN, 'script.js': SCRIPT };
      const dirWith = appDir(files);
      const dirWithout = appDir(files);
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl };
      const [withAgent, without] = await Promise.all([launch({ dir: dirWith, agent: true, env }), launch({ dir: dirWithout, agent: false, env })]);
      expect(withAgent.signal).toBe(without.signal);
      expect(withAgent.code).toBe(0);
      expect(without.code).toBe(0);
      // Same output, up to the app directory's own name.
      expect(withAgent.stdout.split(dirWith).join('<dir>')).toBe(without.stdout.split(dirWithout).join('<dir>'));
      expect(withAgent.stdout).toContain('child saw ["--token","s3cr3t-value","https://user:pw@example.invalid/x"]');
      expect(warningsOf(withAgent.stderr)).toEqual([]);

      const exe = path.join(dirWith, 'tools/node-runtime/current/bin/node');
      expect(exe.length).toBeGreaterThanOrEqual(32);
      const spans = await receiver.waitForSpans((s) => s.filter((x) => x.scope.name === CHILD_SCOPE).length >= 3);
      const args = (s: ReceivedSpan) => s.attributes['process.command_args'];
      const children = spans.filter((s) => s.scope.name === CHILD_SCOPE);
      expect(children.map(args)).toEqual([
        ['sh', '-c', `${exe} script.js --token <redacted> https://<redacted>@example.invalid/x`],
        ['sh', '-c', `${exe} script.js <redacted>`],
        [exe, 'script.js', `--prefix=${path.dirname(exe)}`],
      ]);
      expect(children[2].attributes['process.executable.path']).toBe(exe);
      const everything = JSON.stringify(spans.map((s) => s.attributes));
      for (const secret of ['s3cr3t-value', 'user:pw', 'wJalrXUtnFEMI']) expect(everything).not.toContain(secret);
    });
  });

  describe('a working directory deleted under the program', () => {
    // A program that works in a temporary directory and removes it, then traces: process.cwd() throws from then on.
    const APP_GONE = `
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const cp = require('node:child_process');
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-gone-'));
  process.chdir(temp);
  fs.rmdirSync(temp);
  const { trace } = require('@opentelemetry/api');
  trace.getTracer('hostile-hosts').startSpan('after-rmdir').end();
  console.log(String(cp.execFileSync('echo', ['child ran'])).trim());
  console.log('out');
  process.exitCode = 5;
  `;
    // An absolute trace file: OTLP export from such a program is the test skipped below.
    const traceFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-gone-out-')), 'trace.jsonl');
    const spansIn = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((line) => normalizeTracesData(JSON.parse(line), 'http/json'));

    it.runIf(isLinux)('tracing goes on: its spans and its child processes are recorded, without a working directory', async () => {
      const dir = appDir({ 'app.cjs': APP_GONE });
      const out = traceFile();
      // The SDK starts with the first span, after the directory is gone (the resource reads the app's package.json then).
      const [withAgent, without] = await Promise.all([
        launch({ dir, agent: true, env: { OTEL_EXPORTER_OTLP_TRACES_FILE: out } }),
        launch({ dir, agent: false, env: { OTEL_EXPORTER_OTLP_TRACES_FILE: out } }),
      ]);
      expect(without).toMatchObject({ code: 5, signal: null, stdout: 'child ran\nout\n' });
      expectSameProgram(withAgent, without);
      expect(warningsOf(withAgent.stderr)).toEqual([]);
      const spans = spansIn(out);
      expect(spans.map((s) => s.name).sort()).toEqual(['after-rmdir', 'echo']);
      const echo = spans.find((s) => s.name === 'echo')!;
      expect(echo.attributes['process.command_args']).toEqual(['echo', 'child ran']);
      expect(echo.attributes['process.working_directory']).toBeUndefined();
    });

    it.runIf(isLinux)('deleted before the program starts (agent loaded by absolute path): the agent starts, the process span has no directory', async () => {
      const dir = appDir({ 'app.cjs': APP, 'lib.cjs': 'exports.work = () => 1;\n' });
      const register = path.join(REPO_ROOT, 'dist', 'register.js');
      const gone = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-gone-'));
      const out = traceFile();
      // The shell enters the directory and removes it; node then starts in a deleted directory.
      const run = (agent: boolean): Promise<Outcome> => {
        const node = [process.execPath, ...(agent ? ['--import', register] : []), path.join(dir, 'app.cjs')].map((a) => `'${a}'`).join(' ');
        const child = spawn('sh', ['-c', `cd '${gone}' && rmdir '${gone}' && exec ${node}`], {
          env: cleanEnv({ OTEL_EXPORTER_OTLP_TRACES_FILE: out, OTEL_AGENT_PROCESS_SPAN: 'true', OTEL_AGENT_FUNCTION_SPANS: './lib.cjs[work]' }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return finished(child);
      };
      const withAgent = await run(true);
      fs.mkdirSync(gone);
      const without = await run(false);
      expect(without).toMatchObject({ code: 5, signal: null, stdout: 'out\n' });
      expectSameProgram(withAgent, without);
      expect(warningsOf(withAgent.stderr)).toEqual([
        '[otel-agent] warning: OTEL_AGENT_FUNCTION_SPANS: ./lib.cjs is a relative path and the working directory was deleted; it is not traced',
      ]);
      const spans = spansIn(out);
      expect(spans.map((s) => s.name).sort()).toEqual([...SPAN_NAMES, 'app.cjs'].sort());
      const processSpan = spans.find((s) => s.name === 'app.cjs')!;
      expect(processSpan.attributes['process.exit.code']).toBe(5);
      expect(processSpan.attributes['process.working_directory']).toBeUndefined();
    });

    // The export worker cannot start without a working directory (Node's worker bootstrap calls
    // process.cwd()): the main thread sends instead.
    it.runIf(isLinux)('OTLP export goes on too, also once the export worker would have started', async () => {
      // Exports while it runs (every 10 ms), for 300 ms: through the worker, which fails to start.
      const app = APP_GONE.replace("process.exitCode = 5;", "process.exitCode = 5;\nsetTimeout(() => trace.getTracer('hostile-hosts').startSpan('later').end(), 300);");
      const dir = appDir({ 'app.cjs': app });
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_BSP_SCHEDULE_DELAY: '10' };
      const [withAgent, without] = await Promise.all([launch({ dir, agent: true, env }), launch({ dir, agent: false, env })]);
      expectSameProgram(withAgent, without);
      expect(warningsOf(withAgent.stderr)).toEqual([]);
      const spans = await receiver.waitForSpans((s) => s.length >= 3);
      expect(spans.map((s) => s.name).sort()).toEqual(['after-rmdir', 'echo', 'later']);
    });

    it.runIf(isLinux)('a relative trace file cannot be placed: one warning saying why, the spans are counted', async () => {
      const dir = appDir({ 'app.cjs': APP_GONE });
      const env = { OTEL_EXPORTER_OTLP_TRACES_FILE: 'traces.jsonl' };
      const [withAgent, without] = await Promise.all([launch({ dir, agent: true, env }), launch({ dir, agent: false, env })]);
      expectSameProgram(withAgent, without);
      const warnings = warningsOf(withAgent.stderr);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('file traces.jsonl: the path is relative and the working directory was deleted');
      expect(lossReport(withAgent.stderr, 'file traces.jsonl')).toEqual({ lost: 2, delivered: 0 });
    });
  });

  describe('stderr closed by its reader', () => {
    // Without the agent this program never writes to stderr, so a closed stderr cannot hurt it. With the agent, a
    // warning written to the closed pipe must not turn into an EPIPE 'error' event that crashes the program.
    const APP_QUIET = `
  process.stdin.once('data', () => {
    process.stdin.pause();
    require('./lib.cjs'); // the agent warns here: lib.cjs has no function "missing"
    setImmediate(() => {
      process.stdout.write('out\\n');
      process.exitCode = 5;
    });
  });
  `;
    it('a warning to a closed stderr pipe does not crash the program', async () => {
      const dir = appDir({ 'app.cjs': APP_QUIET, 'lib.cjs': 'exports.present = () => 1;\n' });
      const runOnce = async (agent: boolean): Promise<Outcome> => {
        const { args } = preloadArgs(agent ? 'import' : 'none');
        const child = spawn(process.execPath, [...args, 'app.cjs'], {
          cwd: dir,
          env: cleanEnv({ OTEL_AGENT_FUNCTION_SPANS: './lib.cjs[missing]', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl }),
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
        // Close our end of the child's stderr, then let the child go on.
        await new Promise<void>((resolve) => {
          child.stderr.once('close', () => resolve());
          child.stderr.destroy();
        });
        child.stdin.end('go\n');
        const { code, signal } = await closed;
        clearTimeout(timer);
        return { code, signal, stdout, stderr: '' };
      };
      const [withAgent, without] = await Promise.all([runOnce(true), runOnce(false)]);
      expect(without).toMatchObject({ code: 5, signal: null, stdout: 'out\n' });
      expect(withAgent).toEqual(without);
    });
  });
});
