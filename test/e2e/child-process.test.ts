// End to end: child_process spans from apps run with the agent as users run them (CJS and ESM),
// context passed to children in TRACEPARENT, and behavior identical with and without the agent.
import { describe, expect, it } from 'vitest';
import { type ReceivedSpan } from '../helpers/otlp-receiver';
import { sharedReceiver } from '../helpers/shared-receiver';
import { nodeMatrix } from '../helpers/node-versions';
import { runApp } from '../helpers/run-app';

const CLIENT = 3;
const ERROR = 2;
const SCOPE = '@org/otel-agent/instrumentation-child-process';

const receiver = sharedReceiver();

const env = (extra: Record<string, string> = {}) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, ...extra });
const childSpans = (spans: ReceivedSpan[]) => spans.filter((s) => s.scope.name === SCOPE);
const fn = (s: ReceivedSpan) => s.attributes['child_process.function'];
function only(spans: ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(predicate);
  if (found.length !== 1) throw new Error(`expected one span ${what}, got ${found.length}: ${spans.map((s) => `${s.name}[${fn(s)}]`).join(', ')}`);
  return found[0];
}
/** Parses `00-<trace>-<span>-<flags>`. */
function traceparent(value: string) {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value.trim());
  if (!m) throw new Error(`not a traceparent: ${JSON.stringify(value)}`);
  return { traceId: m[1], spanId: m[2] };
}

// Executables the apps run, written into the app directory (made executable by the app).
const SCRIPTS = {
  'bin/kubectl': '#!/bin/sh\necho "kubectl $*"\n',
  'bin/kar': '#!/bin/sh\nexit 0\n',
  'bin/fail.sh': '#!/bin/sh\necho failing >&2\nexit 2\n',
  'child.cjs': 'process.send({ traceparent: process.env.TRACEPARENT ?? null }, () => process.exit(0));\n',
};
const PREAMBLE_CJS = `
const fs = require('node:fs');
const path = require('node:path');
for (const f of ['bin/kubectl', 'bin/kar', 'bin/fail.sh']) fs.chmodSync(f, 0o755);
process.env.PATH = path.resolve('bin') + path.delimiter + process.env.PATH;
const done = (child) => new Promise((resolve) => child.on('close', resolve));
`;

/** Every function and its promisified form, with successes and each kind of failure. Prints what the children saw. */
const EVERY_FUNCTION_CJS = `${PREAMBLE_CJS}
const cp = require('child_process');
const { promisify } = require('node:util');
const print = (k, v) => console.log(k + '=' + JSON.stringify(v));
(async () => {
  const callerEnv = { ...process.env, MARKER: 'm' };
  const before = JSON.stringify(callerEnv);
  const options = { env: callerEnv };
  // spawn: a non-Node child reads TRACEPARENT
  const a = cp.spawn('sh', ['-c', 'echo "$TRACEPARENT $MARKER"'], options);
  let out = '';
  a.stdout.on('data', (d) => (out += d));
  await done(a);
  print('spawn', out.trim());
  print('envUnchanged', JSON.stringify(callerEnv) === before && JSON.stringify(options) === JSON.stringify({ env: callerEnv }));
  // spawn: ENOENT, non-zero exit, killed by a signal
  const missing = cp.spawn('no-such-program-xyz', ['--token', 'abc']);
  missing.on('error', (e) => print('enoent', e.code));
  await done(missing);
  await done(cp.spawn('fail.sh'));
  const sleeper = cp.spawn('sleep', ['30']);
  sleeper.on('spawn', () => sleeper.kill());
  await done(sleeper);
  // execFile (callback and promisified) and exec, which runs through execFile
  await new Promise((r) => cp.execFile('kubectl', ['get', 'pods', '-n', 'kube-system', '--token', 's3cr3t'], (e, so) => { print('execFile', so.trim()); r(); }));
  await new Promise((r) => cp.exec('kar -c SECRETCONFIG --name runner-1', () => r()));
  const pe = promisify(cp.exec)('echo promisified-exec');
  print('execChild', typeof pe.child.pid);
  print('exec', await pe);
  print('execFileP', await promisify(cp.execFile)('echo', ['pf']));
  await promisify(cp.exec)('exit 7').catch((e) => print('execReject', [e.code, typeof e.stdout]));
  // fork: a Node child gets TRACEPARENT as well
  const f = cp.fork('child.cjs');
  f.on('message', (m) => print('fork', m));
  await done(f);
  // sync variants
  print('spawnSync', cp.spawnSync('sh', ['-c', 'exit 4']).status);
  print('spawnSyncEnoent', cp.spawnSync('no-such-program-xyz').error.code);
  print('execSync', cp.execSync('echo "$TRACEPARENT"', { env: callerEnv }).toString().trim());
  try { cp.execSync('exit 5', { stdio: 'pipe' }); } catch (e) { print('execSyncThrow', e.status); }
  print('execFileSync', cp.execFileSync('echo', ['efs']).toString().trim());
  try { cp.execFileSync('no-such-program-xyz'); } catch (e) { print('execFileSyncThrow', e.code); }
  print('envUnchangedAtEnd', JSON.stringify(callerEnv) === before && !('TRACEPARENT' in process.env));
})();
`;

const EVERY_FUNCTION_ESM = `
import { chmodSync } from 'node:fs';
import { resolve, delimiter } from 'node:path';
import { promisify } from 'node:util';
import { exec, execFile, execFileSync, execSync, fork, spawn, spawnSync } from 'node:child_process';
for (const f of ['bin/kubectl', 'bin/kar', 'bin/fail.sh']) chmodSync(f, 0o755);
process.env.PATH = resolve('bin') + delimiter + process.env.PATH;
const done = (child) => new Promise((r) => child.on('close', r));
const print = (k, v) => console.log(k + '=' + JSON.stringify(v));
const a = spawn('sh', ['-c', 'echo "$TRACEPARENT"']);
let out = '';
a.stdout.on('data', (d) => (out += d));
await done(a);
print('spawn', out.trim());
await new Promise((r) => execFile('kubectl', ['get', 'pods', '-n', 'kube-system'], r));
print('exec', await promisify(exec)('echo promisified-exec'));
print('execFileP', await promisify(execFile)('echo', ['pf']));
const f = fork('child.cjs');
f.on('message', (m) => print('fork', m));
await done(f);
print('spawnSync', spawnSync('sh', ['-c', 'exit 4']).status);
print('execSync', execSync('echo hi').toString().trim());
print('execFileSync', execFileSync('echo', ['efs']).toString().trim());
`;

function outputs(stdout: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = JSON.parse(line.slice(eq + 1));
  }
  return out;
}

describe('child_process spans', () => {
  it('CJS: every function gives one span per child with process attributes, exit codes and errors; children get TRACEPARENT', async () => {
    const run = await runApp({ files: { ...SCRIPTS, 'app.cjs': EVERY_FUNCTION_CJS }, entry: 'app.cjs', env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = outputs(run.stdout);
    expect(out.envUnchanged).toBe(true);
    expect(out.envUnchangedAtEnd).toBe(true);
    // fork's child loads the agent too (execArgv) and exports its own process span
    const spans = childSpans(await receiver.waitForSpans((s) => childSpans(s).length >= 16));
    expect(spans.every((s) => s.kind === CLIENT)).toBe(true);

    // spawn: TRACEPARENT in the child names this span; the caller's env (MARKER) is kept
    const [tp, marker] = String(out.spawn).split(' ');
    const spawned = only(spans, (s) => fn(s) === 'spawn' && s.name === 'echo', 'spawn echo');
    expect(traceparent(tp)).toEqual({ traceId: spawned.traceId, spanId: spawned.spanId });
    expect(marker).toBe('m');
    expect(spawned.attributes).toMatchObject({
      'process.executable.name': 'sh',
      'process.command': 'sh',
      'process.command_args': ['sh', '-c', 'echo "$TRACEPARENT $MARKER"'],
      'process.args_count': 3,
      'process.exit.code': 0,
      'process.working_directory': run.dir,
    });
    expect(spawned.attributes['process.pid']).toBeTypeOf('number');
    expect(spawned.status.code).toBe(0);

    const enoent = only(spans, (s) => s.name === 'no-such-program-xyz' && fn(s) === 'spawn', 'spawn ENOENT');
    expect(enoent.attributes).toMatchObject({ 'error.type': 'ENOENT', 'process.command_args': ['no-such-program-xyz', '--token', '<redacted>'] });
    expect(enoent.attributes['process.exit.code']).toBeUndefined();
    expect(enoent.status).toMatchObject({ code: ERROR, message: 'spawn error ENOENT' });
    expect(enoent.events.map((e) => [e.name, e.attributes['exception.message']])).toEqual([['exception', 'spawn no-such-program-xyz ENOENT']]);

    const failed = only(spans, (s) => s.name === 'fail.sh', 'fail.sh');
    expect(failed.attributes).toMatchObject({ 'process.exit.code': 2, 'error.type': '2' });
    expect(failed.status).toMatchObject({ code: ERROR, message: 'exit code 2' });

    const killed = only(spans, (s) => s.name === 'sleep', 'sleep');
    expect(killed.attributes).toMatchObject({ 'process.exit.signal': 'SIGTERM', 'error.type': 'SIGTERM' });
    expect(killed.attributes['process.exit.code']).toBeUndefined();
    expect(killed.status.code).toBe(ERROR);

    // kubectl is recognized; its --token is redacted
    expect(out.execFile).toBe('kubectl get pods -n kube-system --token s3cr3t');
    const kubectl = only(spans, (s) => s.name === 'kubectl get', 'kubectl get');
    expect(kubectl.attributes).toMatchObject({
      'k8s.namespace.name': 'kube-system',
      'k8s.resource': 'pods',
      'process.command_args': ['kubectl', 'get', 'pods', '-n', 'kube-system', '--token', '<redacted>'],
    });

    // exec -> one span (through execFile), named after the shell's command; the runner's -c is redacted
    const kar = only(spans, (s) => s.name === 'kar', 'exec kar');
    expect(fn(kar)).toBe('execFile');
    expect(kar.attributes['process.command_args']).toEqual(['/bin/sh', '-c', 'kar -c <redacted> --name runner-1']);
    expect(out.exec).toEqual({ stdout: 'promisified-exec\n', stderr: '' });
    expect(out.execChild).toBe('number');
    only(spans, (s) => s.attributes['process.command_args']?.toString() === '/bin/sh,-c,echo promisified-exec', 'promisified exec');
    expect(out.execFileP).toEqual({ stdout: 'pf\n', stderr: '' });
    only(spans, (s) => s.name === 'echo' && s.attributes['process.command_args']?.toString() === 'echo,pf', 'promisified execFile');
    expect(out.execReject).toEqual([7, 'string']);
    const exit7 = only(spans, (s) => s.attributes['process.command_args']?.toString() === '/bin/sh,-c,exit 7', 'exec exit 7');
    expect(exit7.attributes['process.exit.code']).toBe(7);
    expect(spans.filter((s) => fn(s) === 'execFile')).toHaveLength(5);

    // fork: a Node child receives this span as its parent
    const forked = only(spans, (s) => fn(s) === 'fork', 'fork');
    expect(forked.name).toBe('node child.cjs');
    expect(traceparent((out.fork as { traceparent: string }).traceparent)).toEqual({ traceId: forked.traceId, spanId: forked.spanId });
    expect(forked.attributes['process.exit.code']).toBe(0);

    // sync variants
    const spawnSync = spans.filter((s) => fn(s) === 'spawnSync');
    expect(spawnSync.map((s) => [s.name, s.attributes['process.exit.code'], s.attributes['error.type']])).toEqual([
      ['exit', 4, '4'],
      ['no-such-program-xyz', undefined, 'ENOENT'],
    ]);
    const execSync = spans.filter((s) => fn(s) === 'execSync');
    expect(execSync.map((s) => [s.name, s.attributes['process.exit.code'], s.status.code])).toEqual([
      ['echo', 0, 0],
      ['exit', 5, ERROR],
    ]);
    expect(traceparent(String(out.execSync))).toEqual({ traceId: execSync[0].traceId, spanId: execSync[0].spanId });
    expect(out.execSyncThrow).toBe(5);
    const execFileSync = spans.filter((s) => fn(s) === 'execFileSync');
    expect(execFileSync.map((s) => [s.name, s.attributes['process.exit.code'], s.attributes['error.type']])).toEqual([
      ['echo', 0, undefined],
      ['no-such-program-xyz', undefined, 'ENOENT'],
    ]);
    expect(out.execFileSyncThrow).toBe('ENOENT');
  });

  it('ESM: named imports from node:child_process are instrumented', async () => {
    const run = await runApp({ files: { ...SCRIPTS, 'app.mjs': EVERY_FUNCTION_ESM }, entry: 'app.mjs', env: env() });
    expect(run.stderr).toBe('');
    const out = outputs(run.stdout);
    const spans = childSpans(await receiver.waitForSpans((s) => childSpans(s).length >= 8));
    const spawned = only(spans, (s) => fn(s) === 'spawn', 'spawn');
    expect(traceparent(String(out.spawn))).toEqual({ traceId: spawned.traceId, spanId: spawned.spanId });
    expect(only(spans, (s) => s.name === 'kubectl get', 'kubectl').attributes['k8s.namespace.name']).toBe('kube-system');
    expect(out.exec).toEqual({ stdout: 'promisified-exec\n', stderr: '' });
    expect(out.execFileP).toEqual({ stdout: 'pf\n', stderr: '' });
    const forked = only(spans, (s) => fn(s) === 'fork', 'fork');
    expect(traceparent((out.fork as { traceparent: string }).traceparent).spanId).toBe(forked.spanId);
    expect(spans.map(fn).sort()).toEqual(['execFile', 'execFile', 'execFile', 'execFileSync', 'execSync', 'fork', 'spawn', 'spawnSync']);
    expect(only(spans, (s) => fn(s) === 'spawnSync', 'spawnSync').attributes['process.exit.code']).toBe(4);
  });

  it('a grandchild gets its parent\'s span, not the root\'s; the span ends at exit, not when inherited stdio closes', async () => {
    const app = `${PREAMBLE_CJS}
const cp = require('child_process');
// The child is a Node program with the agent (NODE_OPTIONS is inherited); it runs a grandchild.
const child = cp.spawn(process.execPath, ['child.cjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
child.on('close', () => console.log('grandchild=' + JSON.stringify(out.trim())));
// A background grandchild keeps stdout open after sh exits: 'close' waits, the span must not.
const holder = cp.spawn('sh', ['-c', 'sleep 30 & echo $!']);
let pid = '';
holder.stdout.on('data', (d) => (pid += d));
holder.on('exit', () => setImmediate(() => { console.log('killAt=' + Date.now()); process.kill(Number(pid.trim()), 'SIGKILL'); }));
`;
    const childApp = `const { execSync } = require('child_process');
console.log(execSync('echo "$TRACEPARENT"').toString().trim());`;
    const run = await runApp({ files: { ...SCRIPTS, 'app.cjs': app, 'child.cjs': childApp }, entry: 'app.cjs', preload: 'node-options-import', env: env() });
    expect(run.stderr).toBe('');
    const out = outputs(run.stdout);
    const spans = await receiver.waitForSpans((s) => childSpans(s).length >= 3 && s.some((x) => x.name === 'child.cjs'));
    const spawnNode = only(childSpans(spans), (s) => s.name === 'node', 'spawn node');
    const processSpan = only(spans, (s) => s.name === 'child.cjs', 'process span of the child');
    const execSync = only(childSpans(spans), (s) => fn(s) === 'execSync', 'execSync in the child');
    expect(processSpan.parentSpanId).toBe(spawnNode.spanId);
    expect(execSync.parentSpanId).toBe(processSpan.spanId);
    expect(traceparent(String(out.grandchild))).toEqual({ traceId: spawnNode.traceId, spanId: execSync.spanId });
    const holder = only(childSpans(spans), (s) => s.attributes['process.command_args']?.toString() === 'sh,-c,sleep 30 & echo $!', 'holder');
    expect(holder.name).toBe('sh'); // not one simple command
    expect(Number(holder.endTimeUnixNano / 1_000_000n)).toBeLessThanOrEqual(Number(out.killAt));
  });

  it('the agent\'s own exit sender is not traced (process.exit with pending spans)', async () => {
    const app = `const { spawnSync } = require('child_process');
spawnSync('true');
process.exit(0);`;
    const run = await runApp({ files: { 'app.cjs': app }, entry: 'app.cjs', env: env({ OTEL_BSP_SCHEDULE_DELAY: '60000' }) });
    expect(run.stderr).toBe('');
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'true'));
    expect(childSpans(spans).map((s) => s.name)).toEqual(['true']);
  });
});

/** Prints the observable shape of every function's results, events and errors (nothing that varies between runs). */
const SHAPES = `
const print = (k, v) => console.log(k + ' ' + JSON.stringify(v));
const shape = (v) => v === null ? null : v === undefined ? 'undefined' : Buffer.isBuffer(v) ? 'Buffer:' + v.toString() : Array.isArray(v) ? v.map(shape)
  : typeof v === 'object' ? Object.fromEntries(Object.keys(v).map((k) => [k, k === 'pid' ? typeof v[k] : shape(v[k])])) : v;
const err = (e) => e && ({ ctor: e.constructor.name, name: e.name, message: e.message, keys: Object.keys(e), code: e.code, errno: e.errno, syscall: e.syscall,
  path: e.path, spawnargs: e.spawnargs, status: e.status, signal: e.signal, killed: e.killed, cmd: e.cmd, stdout: shape(e.stdout), stderr: shape(e.stderr), pid: typeof e.pid });
const events = (label, child) => new Promise((resolve) => {
  const seen = [];
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  for (const ev of ['spawn', 'exit', 'close', 'error', 'message', 'disconnect']) child.on(ev, (...a) => {
    seen.push([ev, ...a.map((x) => (x instanceof Error ? err(x) : x))]);
    if (ev === 'close') { print(label, { seen, out, pid: typeof child.pid, exitCode: child.exitCode, signalCode: child.signalCode, killed: child.killed, listeners: child.listenerCount('error') }); resolve(); }
  });
});
const cb = (label, resolve) => (...a) => { print(label, a.map((x) => (x instanceof Error ? err(x) : shape(x)))); resolve(); };
const sync = (label, f) => { try { print(label, shape(f())); } catch (e) { print(label + ' threw', err(e)); } };
(async () => {
  print('props', ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync'].map((n) => [n, cp[n].name, cp[n].length, typeof cp[n][promisify.custom]]));
  const callerEnv = { ...process.env, MARKER: 'm' };
  const options = Object.freeze({ env: Object.freeze(callerEnv), cwd: '/' });
  await events('spawn', cp.spawn('sh', ['-c', 'echo $MARKER; pwd; echo err >&2'], options));
  await events('spawn enoent', cp.spawn('no-such-program-xyz', ['a']));
  const k = cp.spawn('sleep', ['30']);
  k.on('spawn', () => k.kill());
  await events('spawn killed', k);
  const ac = new AbortController();
  const ab = cp.spawn('sleep', ['30'], { signal: ac.signal });
  ab.on('spawn', () => ac.abort());
  await events('spawn aborted', ab);
  await events('spawn shell', cp.spawn('echo $MARKER', { shell: true, env: callerEnv }));
  await events('spawn no args', cp.spawn('true'));
  await events('spawn null args', cp.spawn('echo', null, { stdio: 'pipe' }));
  await events('fork', cp.fork('child.cjs', ['x'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }));
  await events('fork options only', cp.fork('child.cjs', { stdio: ['pipe', 'pipe', 'pipe', 'ipc'], env: callerEnv }));
  await new Promise((r) => cp.execFile('sh', ['-c', 'echo out; echo err >&2; exit 3'], cb('execFile fail', r)));
  await new Promise((r) => cp.execFile('echo', ['a'], { encoding: 'buffer' }, cb('execFile buffer', r)));
  await new Promise((r) => cp.execFile('true', cb('execFile no args', r)));
  await new Promise((r) => cp.execFile('pwd', null, { cwd: '/' }, cb('execFile null args', r)));
  await new Promise((r) => cp.execFile('pwd', { cwd: '/' }, cb('execFile options', r)));
  await new Promise((r) => cp.execFile('echo', ['x'], cb('execFile args callback', r)));
  await new Promise((r) => cp.execFile('no-such-program-xyz', cb('execFile enoent', r)));
  await new Promise((r) => cp.execFile('sleep', ['30'], { timeout: 50 }, cb('execFile timeout', r)));
  await new Promise((r) => cp.execFile('sh', ['-c', 'echo 123456789'], { maxBuffer: 4 }, cb('execFile maxBuffer', r)));
  await new Promise((r) => cp.exec('echo $MARKER', options, cb('exec options', r)));
  await new Promise((r) => cp.exec('exit 9', cb('exec fail', r)));
  const withChild = cp.exec('echo ok', () => {});
  print('exec returns', [withChild.constructor.name, withChild instanceof cp.ChildProcess]);
  await events('exec child', withChild);
  const p = promisify(cp.exec)('echo p; echo e >&2');
  print('promisify exec child', [typeof p.child, p.child instanceof cp.ChildProcess, p instanceof Promise]);
  print('promisify exec', shape(await p));
  print('promisify exec buffer', shape(await promisify(cp.exec)('echo b', { encoding: 'buffer' })));
  await promisify(cp.exec)('echo o; exit 4').then(() => print('no', 1), (e) => print('promisify exec reject', err(e)));
  const pf = promisify(cp.execFile)('echo', ['f']);
  print('promisify execFile child', [typeof pf.child, pf.child instanceof cp.ChildProcess]);
  print('promisify execFile', shape(await pf));
  await promisify(cp.execFile)('no-such-program-xyz').then(() => print('no', 1), (e) => print('promisify execFile reject', err(e)));
  sync('spawnSync', () => cp.spawnSync('sh', ['-c', 'echo o; echo e >&2; exit 4']));
  sync('spawnSync enoent', () => cp.spawnSync('no-such-program-xyz', ['a']));
  sync('spawnSync timeout', () => cp.spawnSync('sleep', ['30'], { timeout: 50 }));
  sync('spawnSync options', () => cp.spawnSync('sh', ['-c', 'echo $MARKER; pwd'], options));
  sync('spawnSync input', () => cp.spawnSync('cat', { input: 'in' }));
  sync('execSync', () => cp.execSync('echo s'));
  sync('execSync utf8', () => cp.execSync('echo $MARKER', { encoding: 'utf8', env: callerEnv }));
  sync('execSync fail', () => cp.execSync('echo o; exit 5', { stdio: 'pipe' }));
  sync('execFileSync', () => cp.execFileSync('echo', ['f']));
  sync('execFileSync null', () => cp.execFileSync('pwd', null, { cwd: '/', encoding: 'utf8' }));
  sync('execFileSync enoent', () => cp.execFileSync('no-such-program-xyz'));
  sync('execFileSync fail', () => cp.execFileSync('sh', ['-c', 'exit 6'], { stdio: 'pipe' }));
  sync('bad file', () => cp.spawn(123));
  sync('bad args', () => cp.spawn('echo', 'notarray'));
  sync('null options', () => cp.spawn('echo', [], null));
  sync('bad options', () => cp.execFile('echo', ['x'], 'bad'));
  sync('bad cwd', () => cp.spawnSync('true', { cwd: 42 }));
  sync('execSync bad', () => cp.execSync(42));
  print('caller env', [Object.isFrozen(callerEnv), 'TRACEPARENT' in callerEnv, 'TRACEPARENT' in process.env, Object.keys(options)]);
})();
`;
const SHAPES_CJS = `const cp = require('child_process');\nconst { promisify } = require('util');\n${SHAPES}`;
const SHAPES_ESM = `import * as named from 'node:child_process';\nimport { promisify } from 'node:util';\nconst cp = { ...named };\n${SHAPES}`;
const SHAPES_CHILD = `process.send?.({ argv: process.argv.slice(2), marker: process.env.MARKER ?? null }); console.log('child out'); process.disconnect?.();`;

describe('behavior with and without the agent', () => {
  it.each([
    ['CJS', 'app.cjs', SHAPES_CJS],
    ['ESM', 'app.mjs', SHAPES_ESM],
  ])('%s: results, events, errors and promisified forms are identical', async (_label, entry, source) => {
    const files = { [entry]: source, 'child.cjs': SHAPES_CHILD };
    const [withAgent, without] = await Promise.all([runApp({ files, entry, env: env() }), runApp({ files, entry, preload: 'none', env: env() })]);
    expect(without.stderr).toBe('');
    expect(withAgent.stderr).toBe('');
    expect(withAgent.stdout.split('\n')).toEqual(without.stdout.split('\n'));
    expect(without.stdout.split('\n').length).toBeGreaterThan(45);
    const spans = childSpans(await receiver.waitForSpans((s) => childSpans(s).length >= 40));
    expect(spans.length).toBeGreaterThanOrEqual(40);
  });

  // exec reaches the exported execFile on every supported Node line: one span per exec, nothing changed.
  const others = nodeMatrix().filter((n) => n.path !== process.execPath);
  it.skipIf(others.length === 0).each(others.map((n) => [n.label, n.path]))('Node %s: identical behavior, one span per exec', async (_label, node) => {
    const files = { 'app.cjs': SHAPES_CJS, 'child.cjs': SHAPES_CHILD };
    const [withAgent, without] = await Promise.all([runApp({ files, entry: 'app.cjs', node, env: env() }), runApp({ files, entry: 'app.cjs', preload: 'none', node, env: env() })]);
    expect(withAgent.stderr).toBe('');
    expect(withAgent.stdout.split('\n')).toEqual(without.stdout.split('\n'));
    const spans = childSpans(await receiver.waitForSpans((s) => childSpans(s).some((x) => x.attributes['process.command_args']?.toString() === '/bin/sh,-c,exit 9')));
    expect(spans.filter((x) => x.attributes['process.command_args']?.toString() === '/bin/sh,-c,exit 9')).toHaveLength(1);
    expect(spans.filter((x) => x.attributes['process.executable.name'] === 'sh' && x.attributes['child_process.function'] === 'execFile').length).toBeGreaterThan(0);
  });
});
