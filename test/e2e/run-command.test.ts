// `otel-agent run` with the real npm CLI: one trace per command, rooted at the command's span, with npm's own service name.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanEnv, finished, REPO_ROOT, type Finished } from '../helpers/run-app';
import { startReceiver, type ReceivedSpan, type Receiver } from '../helpers/otlp-receiver';
import { resolveExecutable } from '../../src/cli/run/command-span';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'otel-agent.js');
/** The test's Node (24) first on PATH: npm's `#!/usr/bin/env node` then runs on it, with the agent. */
const PATH_WITH_NODE = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
const NPM = resolveExecutable('npm', { PATH: PATH_WITH_NODE });

/** Runs argv (a program and its arguments) in `cwd` with a clean environment plus `env`. */
function exec(argv: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Finished> {
  return finished(spawn(argv[0], argv.slice(1), { cwd, env: cleanEnv({ PATH: PATH_WITH_NODE, ...env }), stdio: ['ignore', 'pipe', 'pipe'] }), 50_000);
}

const underRun = (argv: string[], cwd: string, env: Record<string, string | undefined> = {}, runOptions: string[] = []) =>
  exec([process.execPath, CLI, 'run', ...runOptions, '--', ...argv], cwd, env);

/** The command's span: named `rootName`, internal, with a command line but no pid (a Node process's span has one). */
const isCommandSpan = (rootName: string) => (x: ReceivedSpan) => x.name === rootName && x.kind === 1 && x.attributes['process.command_args'] !== undefined && x.attributes['process.pid'] === undefined;

/** The spans of one run, once the command's span has arrived and `expected` holds. */
async function spansOfRun(receiver: Receiver, rootName: string, expected: (spans: ReceivedSpan[]) => boolean): Promise<{ root: ReceivedSpan; spans: ReceivedSpan[] }> {
  const spans = await receiver.waitForSpans((s) => s.some(isCommandSpan(rootName)) && expected(s));
  return { root: spans.find(isCommandSpan(rootName))!, spans };
}

/** Each span's parent is in the run, up to the root: one tree. */
function expectOneTree(spans: ReceivedSpan[], root: ReceivedSpan): void {
  const ids = new Set(spans.map((s) => s.spanId));
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
  for (const span of spans) if (span !== root) expect(ids.has(span.parentSpanId!), `${span.name}'s parent is in the trace`).toBe(true);
}

let tmp: string;
let receiver: Receiver;
beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-run-'));
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => receiver.reset());

/** npm's settings for the tests: nothing from the machine's own configuration, no network but ours. */
function npmEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  fs.writeFileSync(path.join(dir, '.npmrc-user'), '');
  fs.writeFileSync(path.join(dir, '.npmrc-global'), '');
  return {
    HOME: dir,
    npm_config_userconfig: path.join(dir, '.npmrc-user'),
    npm_config_globalconfig: path.join(dir, '.npmrc-global'),
    npm_config_cache: path.join(dir, '.npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_registry: 'http://127.0.0.1:9/', // nothing listens: only the install test names a real one
    ...extra,
  };
}

const SCRIPTS_PACKAGE = {
  name: 'fixture-scripts',
  version: '1.0.0',
  scripts: {
    build: `node -e "console.log('step one')" && node child.js`,
    fail: `node -e "console.error('failing'); process.exit(4)"`,
  },
};
const CHILD_JS = `require('node:child_process').execFileSync(process.execPath, ['-e', 'console.log("grandchild")'], { stdio: 'inherit' }); console.log('step two');`;

describe.skipIf(!NPM)('otel-agent run with the real npm CLI', () => {
  it('npm run <script>: same output and exit code, one trace rooted at `npm run`, service npm', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'scripts-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(SCRIPTS_PACKAGE));
    fs.writeFileSync(path.join(dir, 'child.js'), CHILD_JS);
    const env = npmEnv(dir);
    const plain = await exec([NPM!, 'run', 'build'], dir, env);
    const traced = await underRun([NPM!, 'run', 'build'], dir, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl });
    expect(plain.code, plain.stderr).toBe(0);
    expect(traced).toEqual(plain);
    expect(traced.stdout).toContain('grandchild');

    // npm, sh, node -e, node child.js and its node -e: the processes' spans all arrive.
    const { root, spans } = await spansOfRun(receiver, 'npm run', (s) => s.filter((x) => x.name === 'child.js').length === 1 && s.filter((x) => x.name === 'node' && x.kind === 1).length >= 2);
    expectOneTree(spans, root);
    expect(root.parentSpanId).toBeUndefined();
    expect(root.kind).toBe(1);
    expect(root.resource['service.name']).toBe('npm');
    expect(root.attributes).toMatchObject({ 'process.command_args': [NPM, 'run', 'build'], 'process.exit.code': 0, 'process.executable.name': 'npm', 'process.executable.path': NPM });
    expect(root.status.code).toBe(0);
    // npm's own process: its span is the root's child, its service name from npm's package.json (/usr/bin/npm is a link).
    const npmProcess = spans.find((s) => s.parentSpanId === root.spanId)!;
    expect(npmProcess.resource['service.name']).toBe('npm');
    expect(npmProcess.resource['service.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(npmProcess.attributes['process.pid']).toBeTypeOf('number');
    // Every span from a process npm started lies below npm's process span.
    const below = new Set([npmProcess.spanId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of spans) {
        if (s.parentSpanId && below.has(s.parentSpanId) && !below.has(s.spanId)) {
          below.add(s.spanId);
          grew = true;
        }
      }
    }
    expect(below.size).toBe(spans.length - 1);
    expect(spans.find((s) => s.name === 'child.js')!.resource['service.name']).toBe('fixture-scripts');
  });

  it('a failing script: the same exit code, and the command span has error status', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'fail-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(SCRIPTS_PACKAGE));
    const env = npmEnv(dir);
    const plain = await exec([NPM!, 'run', 'fail'], dir, env);
    const traced = await underRun([NPM!, 'run', 'fail'], dir, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl });
    expect(plain.code).toBe(4);
    expect(traced).toEqual(plain);
    const { root } = await spansOfRun(receiver, 'npm run', () => true);
    expect(root.attributes).toMatchObject({ 'process.exit.code': 4, 'error.type': '4' });
    expect(root.status).toMatchObject({ code: 2, message: 'exit code 4' });
  });

  it('npm install from a registry on 127.0.0.1: same result, one trace with npm\'s requests in it', async () => {
    const registry = await startRegistry(tmp);
    try {
      const dir = fs.mkdtempSync(path.join(tmp, 'install-'));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'installer', version: '1.0.0', private: true }));
      const env = npmEnv(dir, { npm_config_registry: registry.url });
      const plain = await exec([NPM!, 'install', 'bars-dep', '--no-save'], dir, env);
      expect(plain.code, plain.stderr).toBe(0);
      fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
      fs.rmSync(path.join(dir, '.npm-cache'), { recursive: true }); // the traced run fetches again
      registry.requests.length = 0;
      const traced = await underRun([NPM!, 'install', 'bars-dep', '--no-save'], dir, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl });
      const timing = (s: string) => s.replace(/in \d+(\.\d+)?m?s/g, 'in <time>');
      expect({ ...traced, stdout: timing(traced.stdout) }).toEqual({ ...plain, stdout: timing(plain.stdout) });
      expect(fs.readFileSync(path.join(dir, 'node_modules', 'bars-dep', 'index.js'), 'utf8')).toContain('bars');
      expect(registry.requests).toEqual(['/bars-dep', '/bars-dep/-/bars-dep-1.0.0.tgz']);

      const { root, spans } = await spansOfRun(receiver, 'npm install', (s) => s.filter((x) => x.kind === 3 && x.attributes['url.full'] !== undefined).length >= 2);
      expectOneTree(spans, root);
      expect(root.resource['service.name']).toBe('npm');
      expect(root.attributes).toMatchObject({ 'process.exit.code': 0 });
      const requests = spans.filter((s) => s.kind === 3 && String(s.attributes['url.full']).startsWith(registry.url));
      expect(requests.map((s) => new URL(String(s.attributes['url.full'])).pathname).sort()).toEqual(['/bars-dep', '/bars-dep/-/bars-dep-1.0.0.tgz']);
      for (const request of requests) expect(request.resource['service.name']).toBe('npm');
      // The registry saw the trace context: its requests belong to the run's trace.
      expect(new Set(registry.traceparents.map((t) => t.split('-')[1]))).toEqual(new Set([root.traceId]));
    } finally {
      await registry.close();
    }
  });

  it('a run inside a traced pipeline step: the command span is the inherited TRACEPARENT\'s child', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'parent-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(SCRIPTS_PACKAGE));
    fs.writeFileSync(path.join(dir, 'child.js'), CHILD_JS);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const result = await underRun([NPM!, 'run', 'build'], dir, { ...npmEnv(dir), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, TRACEPARENT: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(result.code, result.stderr).toBe(0);
    const { root, spans } = await spansOfRun(receiver, 'npm run', (s) => s.some((x) => x.name === 'child.js'));
    expect(root.traceId).toBe(traceId);
    expect(root.parentSpanId).toBe('00f067aa0ba902b7');
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
  });

  it('OTEL_AGENT_PROCESS_SPAN=off: no span per Node process; their spans hang from the command span', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'noproc-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(SCRIPTS_PACKAGE));
    fs.writeFileSync(path.join(dir, 'child.js'), CHILD_JS);
    const result = await underRun([NPM!, 'run', 'build'], dir, { ...npmEnv(dir), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_AGENT_PROCESS_SPAN: 'off' });
    expect(result.code, result.stderr).toBe(0);
    // npm's child-process span for the script's shell is now directly below the command span.
    const { root, spans } = await spansOfRun(receiver, 'npm run', (s) => s.some((x) => x.kind === 3 && x.attributes['process.executable.name'] === 'sh') && s.some((x) => x.attributes['process.executable.name'] === 'node'));
    expectOneTree(spans, root);
    expect(spans.filter((s) => s.attributes['process.pid'] !== undefined && s.kind === 1 && s !== root)).toEqual([]);
    const shell = spans.find((s) => s.kind === 3 && s.attributes['process.executable.name'] === 'sh');
    expect(shell?.parentSpanId).toBe(root.spanId);
  });
});
describe.skipIf(!NPM)('otel-agent run and process spans', () => {
  it('--process-span changes nothing under run: each Node process already has its span', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'procspan-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(SCRIPTS_PACKAGE));
    fs.writeFileSync(path.join(dir, 'child.js'), CHILD_JS);
    const shape = async (runOptions: string[]) => {
      receiver.reset();
      const result = await underRun([NPM!, 'run', 'build'], dir, { ...npmEnv(dir), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl }, runOptions);
      expect(result.code, result.stderr).toBe(0);
      const { root, spans } = await spansOfRun(receiver, 'npm run', (s) => s.some((x) => x.name === 'child.js') && s.filter((x) => x.name === 'node' && x.kind === 1).length >= 2);
      expectOneTree(spans, root);
      const byId = new Map(spans.map((x) => [x.spanId, x]));
      const path = (x: ReceivedSpan): string => (x.parentSpanId && byId.has(x.parentSpanId) ? `${path(byId.get(x.parentSpanId)!)} > ${x.name}` : x.name);
      return spans.map(path).sort();
    };
    const byDefault = await shape([]);
    expect(byDefault).toContain('npm run > npm');
    expect(await shape(['--process-span'])).toEqual(byDefault);
  });
});

describe('otel-agent run never breaks the command', () => {
  it('an unwritable trace file: same output and exit code, warnings only on stderr', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'unwritable-'));
    fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
    const script = `console.log('out'); console.error('err'); process.exitCode = 5`;
    const plain = await exec([process.execPath, '-e', script], dir);
    const traced = await exec([process.execPath, CLI, 'run', '--file', 'not-a-dir/t.jsonl', '--', process.execPath, '-e', script], dir);
    expect(plain).toMatchObject({ code: 5, stdout: 'out\n', stderr: 'err\n' });
    expect(traced.code).toBe(5);
    expect(traced.stdout).toBe(plain.stdout);
    const lines = traced.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => !l.startsWith('[otel-agent] warning: '))).toEqual(['err']);
    // The command's span is counted as lost, by name of the cause.
    expect(traced.stderr).toMatch(/spans lost for file .*not-a-dir\/t\.jsonl/);
  });
});

describe('otel-agent run prints each configuration warning once', () => {
  const WARNING = '[otel-agent] warning: OTEL_TRACES_SAMPLER="bogus" is not one of';
  const env = { OTEL_TRACES_SAMPLER: 'bogus', OTEL_TRACES_EXPORTER: 'none' };
  const script = `console.log('out'); console.error('err'); process.exitCode = 5`;
  const commands: Record<string, string[]> = {
    'a Node process': [process.execPath, '-e', script],
    'a command that is not Node': ['sh', '-c', 'echo out; echo err >&2; exit 5'],
    // The agent in a grandchild honours it too (the variable is inherited down the tree).
    'a shell that starts Node': ['sh', '-c', `"$0" -e "$1"`, process.execPath, script],
  };

  for (const [what, argv] of Object.entries(commands)) {
    it(`${what}: the warning once (from run), the command's output and exit code unchanged`, async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'warn-once-'));
      const plain = await exec(argv, dir, env);
      expect(plain).toMatchObject({ code: 5, stdout: 'out\n', stderr: 'err\n' });
      const traced = await underRun(argv, dir, env);
      expect(traced.code).toBe(5);
      expect(traced.stdout).toBe(plain.stdout);
      const lines = traced.stderr.trimEnd().split('\n');
      expect(lines.filter((l) => l.startsWith(WARNING)), traced.stderr).toHaveLength(1);
      expect(lines.filter((l) => !l.startsWith(WARNING))).toEqual(['err']);
    });
  }

  it('a run inside a run: the outer one warns, neither the inner one nor its command repeats it', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'warn-nested-'));
    const traced = await underRun([process.execPath, CLI, 'run', '--', process.execPath, '-e', script], dir, env);
    expect(traced).toMatchObject({ code: 5, stdout: 'out\n' });
    const lines = traced.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith(WARNING))).toHaveLength(1);
    expect(lines.filter((l) => !l.startsWith(WARNING))).toEqual(['err']);
  });

  it('a process of the command with another bad value still warns about it', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'warn-other-'));
    const traced = await underRun(['sh', '-c', `OTEL_TRACES_SAMPLER=other "$0" -e "console.log('out')"`, process.execPath], dir, env);
    expect(traced).toMatchObject({ code: 0, stdout: 'out\n' });
    const lines = traced.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith(WARNING))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('OTEL_TRACES_SAMPLER="other"'))).toHaveLength(1);
    expect(lines).toHaveLength(2);
  });
});

describe('ci resource detector, end to end', () => {
  it('a Prow job\'s variables arrive as cicd.* and vcs.* on every span of the run, the command span included', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'prow-'));
    fs.writeFileSync(path.join(dir, 'work.js'), `require('node:child_process').execFileSync(process.execPath, ['-e', '1']);`);
    const prow = { JOB_NAME: 'pull-kops-e2e-k8s-aws-calico', BUILD_ID: '1861093574467563520', PROW_JOB_ID: 'd5bca0b6', REPO_OWNER: 'kubernetes', REPO_NAME: 'kops', PULL_NUMBER: '16950', PULL_PULL_SHA: 'bbbbbbbb', PULL_HEAD_REF: 'fix-dns' };
    const result = await underRun([process.execPath, 'work.js', '--token', 'hunter2'], dir, { ...prow, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl });
    expect(result.code, result.stderr).toBe(0);
    const { root, spans } = await spansOfRun(receiver, 'node', (s) => s.some((x) => x.name === 'work.js') && s.filter((x) => x.name === 'node').length >= 2);
    expectOneTree(spans, root);
    expect(root.attributes['process.command_args']).toEqual([process.execPath, 'work.js', '--token', '<redacted>']);
    for (const span of spans) {
      expect(span.resource, span.name).toMatchObject({
        'cicd.pipeline.name': 'pull-kops-e2e-k8s-aws-calico',
        'cicd.pipeline.run.id': '1861093574467563520',
        'vcs.repository.url.full': 'https://github.com/kubernetes/kops',
        'vcs.ref.head.name': 'fix-dns',
        'vcs.ref.head.revision': 'bbbbbbbb',
        'vcs.change.id': '16950',
      });
    }
    // Off when not listed.
    receiver.reset();
    const off = await underRun([process.execPath, 'work.js'], dir, { ...prow, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_NODE_RESOURCE_DETECTORS: 'env,host' });
    expect(off.code, off.stderr).toBe(0);
    const quiet = await spansOfRun(receiver, 'node', (s) => s.some((x) => x.name === 'work.js'));
    expect(quiet.spans.every((s) => s.resource['cicd.pipeline.name'] === undefined)).toBe(true);
  });
});

if (!NPM) console.log('npm not found on PATH: the `otel-agent run` npm tests are skipped');

/** A registry with one package, `bars-dep`, its tarball made by `npm pack`; records request paths and trace context. */
async function startRegistry(dir: string): Promise<{ url: string; requests: string[]; traceparents: string[]; close(): Promise<void> }> {
  const source = fs.mkdtempSync(path.join(dir, 'bars-dep-'));
  fs.writeFileSync(path.join(source, 'package.json'), JSON.stringify({ name: 'bars-dep', version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(path.join(source, 'index.js'), "module.exports = 'bars';\n");
  const packed = spawnSync(NPM!, ['pack', '--silent', '--pack-destination', dir], { cwd: source, encoding: 'utf8', env: cleanEnv({ PATH: PATH_WITH_NODE, ...npmEnv(source) }) });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const tarball = fs.readFileSync(path.join(dir, packed.stdout.trim().split('\n').pop()!));
  const requests: string[] = [];
  const traceparents: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    if (typeof req.headers.traceparent === 'string') traceparents.push(req.headers.traceparent);
    if (req.url === '/bars-dep') {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          name: 'bars-dep',
          'dist-tags': { latest: '1.0.0' },
          versions: {
            '1.0.0': {
              name: 'bars-dep',
              version: '1.0.0',
              main: 'index.js',
              dist: {
                tarball: `${base}/bars-dep/-/bars-dep-1.0.0.tgz`,
                shasum: crypto.createHash('sha1').update(tarball).digest('hex'),
                integrity: `sha512-${crypto.createHash('sha512').update(tarball).digest('base64')}`,
              },
            },
          },
        }),
      );
    } else if (req.url === '/bars-dep/-/bars-dep-1.0.0.tgz') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    traceparents,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('otel-agent run with OTEL_PROPAGATORS=b3', () => {
  it('reads an inherited B3 and passes its own span to the command in B3', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'b3-'));
    fs.writeFileSync(
      path.join(dir, 'child.js'),
      `console.log('env', Object.keys(process.env).filter((k) => /^(TRACEPARENT|B3|X_B3_.*)$/.test(k)).join(','));`,
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const result = await underRun([process.execPath, 'child.js'], dir, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_PROPAGATORS: 'b3', B3: `${traceId}-00f067aa0ba902b7-1` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('env B3\n');
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'child.js') && s.some((x) => x.attributes['process.pid'] === undefined));
    const root = spans.find((x) => x.kind === 1 && x.attributes['process.pid'] === undefined)!;
    expect(root).toMatchObject({ traceId, parentSpanId: '00f067aa0ba902b7' });
    expect(spans.find((x) => x.name === 'child.js')).toMatchObject({ traceId, parentSpanId: root.spanId });
  });
});
