// Hostile hosts (issue 12, items 2, 6, 7): trace paths the kernel refuses, unprivileged users in read-only
// directories, and command lines whose paths must not be redacted. Each program runs as a user runs it, with
// and without the agent: its output, exit code and signal are the same, and every span is delivered or counted.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeTracesData, type ReceivedSpan } from '../helpers/otlp-receiver';
import { cleanEnv, makeAppDir, preloadArgs, REPO_ROOT } from '../helpers/run-app';
import { sharedReceiver } from '../helpers/shared-receiver';

const receiver = sharedReceiver();

const isLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
// An OpenShift-style arbitrary uid with no passwd entry (os.userInfo() throws for it).
const NO_PASSWD_UID = 1000650000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

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
    const run = (agent: boolean) =>
      new Promise<Outcome>((resolve, reject) => {
        const node = [process.execPath, ...(agent ? ['--import', register] : []), path.join(dir, 'app.cjs')].map((a) => `'${a}'`).join(' ');
        const child = spawn('sh', ['-c', `cd '${gone}' && rmdir '${gone}' && exec ${node}`], {
          env: cleanEnv({ OTEL_EXPORTER_OTLP_TRACES_FILE: out, OTEL_AGENT_PROCESS_SPAN: 'true', OTEL_AGENT_FUNCTION_SPANS: './lib.cjs[work]' }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
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
