// End to end: the agent's Kubernetes client instrumentation (id `kubernetes`) in programs using
// @kubernetes/client-node 2.x and 1.x against the KubeVirt simulator of examples/kubevirt-runner:
// the example runner (ESM, import) and a CommonJS program (require(esm)), each in its own Node
// process with the agent loaded as users load it, exporting OTLP to the test receiver.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KUBERNETES_CLIENT_1 } from '../global-setup';
import { startReceiver, type Receiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { cleanEnv, finished, makeAppDir, REPO_ROOT } from '../helpers/run-app';

const CLIENT = 3;
const STATUS_ERROR = 2;
const SCOPE = '@org/otel-agent/instrumentation-kubernetes';
const EXAMPLE_DIR = path.join(REPO_ROOT, 'examples', 'kubevirt-runner');
/** A JIT config as ARC hands it over: base64 of a JSON document with credentials. */
const JIT_CONFIG = Buffer.from(JSON.stringify({ '.runner': 'jit-runner-cred-7f3a9c', '.credentials': 'secret-credentials-7f3a9c' })).toString('base64');
const APP_SECRET = 'app-annotation-secret-5d21e8';

interface Simulator {
  url: string;
  port: number;
  kubeconfigPath: string;
  token: string;
  state: {
    events: NodeJS.EventEmitter;
    requests: { method: string; path: string; query: Record<string, string> }[];
    create(group: string, version: string, resource: string, namespace: string, body: object): object;
    delete(group: string, version: string, resource: string, namespace: string, name: string): object;
  };
  close(): Promise<void>;
}
type StartSimulator = (options: object) => Promise<Simulator>;

/** Each major: 2.x is the repo's dev dependency, 1.x is installed by test/global-setup.ts. */
const PACKAGE_DIRS: Record<1 | 2, string> = {
  2: path.join(REPO_ROOT, 'node_modules', '@kubernetes', 'client-node'),
  1: path.join(KUBERNETES_CLIENT_1.prefix, 'node_modules', '@kubernetes', 'client-node'),
};

let receiver: Receiver;
let startSimulator: StartSimulator;
const simulators: Simulator[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  ({ startSimulator } = (await import(pathToFileURL(path.join(EXAMPLE_DIR, 'simulator', 'index.mjs')).href)) as { startSimulator: StartSimulator });
});
afterAll(async () => {
  await Promise.all(simulators.map((s) => s.close()));
  await receiver.close();
});
beforeEach(() => receiver.reset());

async function simulator(options: object = {}): Promise<Simulator> {
  const sim = await startSimulator({ phaseMs: 25, ...options });
  simulators.push(sim);
  return sim;
}

/** An app directory whose node_modules/@kubernetes/client-node is the requested major of the repo's copies. */
function kubeApp(major: 1 | 2, files: Record<string, string>): string {
  const dir = makeAppDir({ 'package.json': JSON.stringify({ name: `k8s-app-${major}`, version: '1.0.0' }), ...files });
  const target = path.join(dir, 'node_modules', '@kubernetes', 'client-node');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(PACKAGE_DIRS[major], target, 'dir');
  return dir;
}

function runnerApp(major: 1 | 2): string {
  return kubeApp(major, {
    'runner.mjs': fs.readFileSync(path.join(EXAMPLE_DIR, 'runner.mjs'), 'utf8'),
    'lib/runner.mjs': fs.readFileSync(path.join(EXAMPLE_DIR, 'lib', 'runner.mjs'), 'utf8'),
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** node --import @org/otel-agent <entry> in `dir`, exporting OTLP/JSON to the receiver. */
function runWithAgent(dir: string, entry: string, args: string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', '@org/otel-agent', entry, ...args], {
    cwd: dir,
    env: cleanEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      // Socket spans are noise here.
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net,dns',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child, 30_000);
}

/** The agent's own warnings (import-in-the-middle's "failed to wrap" notice is not one; see the instrumentation's README). */
const agentWarnings = (stderr: string) => stderr.split('\n').filter((l) => l.includes('[otel-agent]'));

const ours = (spans: ReceivedSpan[]) => spans.filter((s) => s.scope.name === SCOPE);
const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);
function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = named(spans, name);
  expect(found.map((s) => s.name), `exactly one span named ${name}; got ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0];
}
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
/** HTTP client spans (undici in 2.x, http in 1.x) of the requests under an operation span. */
const httpChildren = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  childrenOf(spans, parent).filter((s) => (s.scope.name.startsWith('@opentelemetry/instrumentation-') || s.scope.name === '@org/otel-agent/instrumentation-http' || s.scope.name === '@org/otel-agent/instrumentation-undici') && s.kind === CLIENT);

/** Every string anywhere in the exported data, for the secret checks. */
function everything(spans: ReceivedSpan[]): string {
  return JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
}

function expectNoSecrets(spans: ReceivedSpan[], secrets: string[]): void {
  const data = everything(spans);
  for (const secret of secrets) expect(data.includes(secret), `secret ${secret.slice(0, 12)}... in exported data`).toBe(false);
  // No annotation and no body either: the runner-info annotation's key and the JSON bodies never appear.
  expect(data).not.toContain('runner-info');
  expect(data).not.toContain('"kind":"VirtualMachineInstance"');
}

function phasesOf(span: ReceivedSpan): string[] {
  return span.events.filter((e) => e.name === 'phase_transition').map((e) => String(e.attributes.phase));
}

const MAJORS = ([2, 1] as const).filter((major) => {
  if (fs.existsSync(PACKAGE_DIRS[major])) return true;
  console.log(`skipped: @kubernetes/client-node ${major}.x is not installed at ${PACKAGE_DIRS[major]} (test/global-setup.ts installs it)`);
  return false;
});

describe.each(MAJORS)('@kubernetes/client-node %s.x', (major) => {
  it('the runner (ESM): operation spans with HTTP children, KubeVirt names, one wait span across a cut watch stream', async () => {
    const sim = await simulator({ cutWatch: { afterEvents: 2, times: 1, resource: 'virtualmachineinstances' } });
    // The simulator cuts the watch stream while the runner waits, so by the runner's end the cut has happened;
    // a flag, not an awaited promise, so a run that never saw the cut fails here instead of hanging the suite.
    let cut = false;
    sim.state.events.once('watch-cut', () => (cut = true));
    const run = await runWithAgent(runnerApp(major), 'runner.mjs', ['-t', 'vm-template', '-r', 'runner-a1', '--actions-runner-input-jitconfig', JIT_CONFIG, '--kubeconfig', sim.kubeconfigPath], {
      OTEL_SERVICE_NAME: 'kubevirt-actions-runner',
    });
    expect(run.stderr.includes('runner failed'), run.stderr).toBe(false);
    expect(run.code).toBe(0);
    expect(agentWarnings(run.stderr)).toEqual([]);
    expect(cut, 'the simulator cut the watch stream during the run').toBe(true);
    const spans = await receiver.waitForSpans((s) => named(s, 'DeleteDataVolume').length > 0 && named(s, 'WaitForVirtualMachineInstance').length > 0);
    const k8s = ours(spans);
    expect(k8s.map((s) => s.name)).toEqual(
      expect.arrayContaining(['get kubevirt.io/v1 virtualmachines', 'CreateVMI', 'CreateDataVolume', 'get kubevirt.io/v1 virtualmachineinstances', 'WaitForVirtualMachineInstance', 'DeleteVMI', 'DeleteDataVolume']),
    );
    for (const span of k8s) {
      expect(span.kind).toBe(CLIENT);
      expect(span.attributes['server.address']).toBe('127.0.0.1');
      expect(span.attributes['server.port']).toBe(sim.port);
    }

    const template = one(k8s, 'get kubevirt.io/v1 virtualmachines');
    expect(template.attributes).toMatchObject({
      'k8s.verb': 'get',
      'k8s.api.group': 'kubevirt.io',
      'k8s.api.version': 'v1',
      'k8s.resource': 'virtualmachines',
      'k8s.namespace.name': 'default',
      'k8s.object.name': 'vm-template',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });

    const createVmi = one(k8s, 'CreateVMI');
    expect(createVmi.attributes).toMatchObject({
      vmiName: 'runner-a1',
      namespace: 'default',
      'k8s.verb': 'create',
      'k8s.api.group': 'kubevirt.io',
      'k8s.resource': 'virtualmachineinstances',
      'k8s.object.name': 'runner-a1',
      'http.request.method': 'POST',
      'http.response.status_code': 201,
    });
    expect(createVmi.status.code).toBe(0);
    const createDv = one(k8s, 'CreateDataVolume');
    expect(createDv.attributes).toMatchObject({ dataVolumeName: 'ubuntu-dv-runner-a1', namespace: 'default', 'k8s.api.group': 'cdi.kubevirt.io', 'k8s.api.version': 'v1beta1', 'k8s.resource': 'datavolumes' });

    // The HTTP span of each request nests under its operation span.
    for (const op of [template, createVmi, createDv, one(k8s, 'DeleteVMI'), one(k8s, 'DeleteDataVolume')]) {
      const http = httpChildren(spans, op);
      expect(http.length, `HTTP child of ${op.name}`).toBe(1);
      expect(http[0].attributes['http.request.method']).toBe(op.attributes['http.request.method']);
    }

    // A get of the VMI carries its phase.
    const getVmi = one(k8s, 'get kubevirt.io/v1 virtualmachineinstances');
    expect(getVmi.attributes['k8s.object.name']).toBe('runner-a1');
    // Right after creation the VMI may have no phase yet; the polling test checks the value.
    expect(['undefined', 'string']).toContain(typeof getVmi.attributes['kubevirt.vmi.phase']);

    // One wait span across the cut: every phase once, the reconnection as an event.
    const wait = one(k8s, 'WaitForVirtualMachineInstance');
    expect(wait.attributes).toMatchObject({
      vmiName: 'runner-a1',
      namespace: 'default',
      phase: 'Succeeded',
      'kubevirt.vmi.phase': 'Succeeded',
      'k8s.verb': 'watch',
      'k8s.field_selector': 'metadata.name=runner-a1',
      'k8s.watch.reconnect_count': 1,
      // The wait ends with the final phase, not when the program gets round to closing the stream.
      'k8s.watch.end_reason': 'final_phase',
    });
    expect(wait.status.code).toBe(0);
    const phases = phasesOf(wait);
    expect(phases.slice(-4)).toEqual(['Scheduling', 'Scheduled', 'Running', 'Succeeded']);
    expect(new Set(phases).size).toBe(phases.length);
    expect(phases.length === 4 || phases[0] === 'Pending').toBe(true);
    const transitions = wait.events.filter((e) => e.name === 'phase_transition');
    for (let i = 1; i < transitions.length; i++) expect(transitions[i].attributes.previous_phase).toBe(transitions[i - 1].attributes.phase);
    const names = wait.events.map((e) => e.name);
    expect(names).toContain('k8s.watch.reconnect');
    expect(names.indexOf('k8s.watch.reconnect')).toBeLessThan(names.lastIndexOf('phase_transition'));
    const watchEvents = wait.events.filter((e) => e.name === 'k8s.watch.event');
    // Scheduled, Running, Succeeded at least; under load the GET may already see Scheduling, so its
    // MODIFIED event comes before the watch starts.
    expect(watchEvents.length).toBeGreaterThanOrEqual(3);
    expect(watchEvents[0].attributes).toMatchObject({ 'k8s.watch.event.type': 'MODIFIED', 'k8s.object.name': 'runner-a1' });
    // Both streams' HTTP requests are under the wait span (an aborted 1.x request may end unexported).
    expect(httpChildren(spans, wait).length).toBeGreaterThanOrEqual(major === 2 ? 2 : 1);

    // Order: create, then wait, then delete.
    expect(createVmi.endTimeUnixNano <= wait.startTimeUnixNano).toBe(true);
    expect(wait.endTimeUnixNano <= one(k8s, 'DeleteVMI').startTimeUnixNano).toBe(true);
    expect(wait.resource['service.name']).toBe('kubevirt-actions-runner');

    expectNoSecrets(spans, [JIT_CONFIG, 'secret-credentials-7f3a9c', sim.token]);
  });

  it('the runner: a Failed VMI gives an error wait span and a failing exit; no DataVolume without dataVolumeTemplates', async () => {
    const sim = await simulator({ failVmi: 'runner-f1' });
    const run = await runWithAgent(runnerApp(major), 'runner.mjs', ['-t', 'vm-template-ephemeral', '-r', 'runner-f1', '--actions-runner-input-jitconfig', JIT_CONFIG, '--kubeconfig', sim.kubeconfigPath], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('runner instance runner-f1 failed');
    const spans = await receiver.waitForSpans((s) => named(s, 'DeleteVMI').length > 0 && named(s, 'WaitForVirtualMachineInstance').length > 0);
    const k8s = ours(spans);
    expect(named(k8s, 'CreateDataVolume')).toEqual([]);
    expect(named(k8s, 'DeleteDataVolume')).toEqual([]);
    const wait = one(k8s, 'WaitForVirtualMachineInstance');
    expect(wait.status.code).toBe(STATUS_ERROR);
    expect(wait.attributes).toMatchObject({ phase: 'Failed', 'kubevirt.vmi.phase': 'Failed', 'error.type': 'VirtualMachineInstanceFailed', 'k8s.watch.reconnect_count': 0 });
    expect(phasesOf(wait).at(-1)).toBe('Failed');
    expect(phasesOf(wait)).not.toContain('Succeeded');
    expect(one(k8s, 'DeleteVMI').status.code).toBe(0);
    expectNoSecrets(spans, [JIT_CONFIG, sim.token]);
  });

  it('the runner: AlreadyExists on create is tolerated, NotFound on delete is ignored; both are error spans with the reason', async () => {
    const sim = await simulator();
    // A restarted runner: its VMI and DataVolume exist already.
    sim.state.create('kubevirt.io', 'v1', 'virtualmachineinstances', 'default', { metadata: { name: 'runner-r1' }, spec: {} });
    sim.state.create('cdi.kubevirt.io', 'v1beta1', 'datavolumes', 'default', { metadata: { name: 'ubuntu-dv-runner-r1' }, spec: {} });
    // Someone else removes the DataVolume while the runner deletes its VMI (before it deletes the DataVolume).
    sim.state.events.on('request', (r: { method: string; path: string }) => {
      if (r.method === 'DELETE' && r.path.endsWith('/virtualmachineinstances/runner-r1')) {
        sim.state.delete('cdi.kubevirt.io', 'v1beta1', 'datavolumes', 'default', 'ubuntu-dv-runner-r1');
      }
    });
    const run = await runWithAgent(runnerApp(major), 'runner.mjs', ['-t', 'vm-template', '-r', 'runner-r1', '--actions-runner-input-jitconfig', JIT_CONFIG, '--kubeconfig', sim.kubeconfigPath], {});
    expect(run.stdout).toContain('already exists; reusing it');
    expect(run.code).toBe(0);
    const spans = await receiver.waitForSpans((s) => named(s, 'DeleteDataVolume').length > 0);
    const k8s = ours(spans);
    for (const name of ['CreateVMI', 'CreateDataVolume']) {
      const span = one(k8s, name);
      expect(span.status.code, name).toBe(STATUS_ERROR);
      expect(span.attributes).toMatchObject({ 'http.response.status_code': 409, 'k8s.status.reason': 'AlreadyExists', 'error.type': 'AlreadyExists' });
      expect(span.status.message).toBe('409 AlreadyExists');
    }
    const deleteDv = one(k8s, 'DeleteDataVolume');
    expect(deleteDv.status.code).toBe(STATUS_ERROR);
    expect(deleteDv.attributes).toMatchObject({ 'http.response.status_code': 404, 'k8s.status.reason': 'NotFound', dataVolumeName: 'ubuntu-dv-runner-r1' });
    expect(one(k8s, 'DeleteVMI').status.code).toBe(0);
    // The reused VMI may have finished before the runner looked: then there is no watch at all.
    for (const wait of named(k8s, 'WaitForVirtualMachineInstance')) expect(wait.attributes.phase).toBe('Succeeded');
    // Error answers are read for their reason only: no message, no body.
    expect(everything(spans)).not.toContain('already exists"');
    expectNoSecrets(spans, [JIT_CONFIG, sim.token]);
  });

  it('a CommonJS program: KubernetesObjectApi (discovery nested), CoreV1Api errors, VMI polling, an informer stopped', async () => {
    // The informer's first watch stream is cut after one event: it reconnects.
    const sim = await simulator({ phaseMs: 15, cutWatch: { resource: 'pods', afterEvents: 1, times: 1 } });
    const dir = kubeApp(major, { 'app.cjs': fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'kubernetes', 'object-api-app.cjs'), 'utf8') });
    const run = await runWithAgent(dir, 'app.cjs', [], { KUBECONFIG: sim.kubeconfigPath, APP_SECRET, RECONNECT_EXPECTED: '1' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('create again: 409');
    expect(run.stdout).toContain('read missing: 404');
    expect(run.code).toBe(0);
    const spans = await receiver.waitForSpans((s) => named(s, 'watch v1 pods').length > 1 && named(s, 'delete v1 pods').length > 0);
    const k8s = ours(spans);

    // The first object-API call of an apiVersion: the discovery GET is a child of the operation.
    const [createPod, createAgain] = named(k8s, 'create v1 pods').filter((s) => s.attributes['k8s.object.name'] === 'web-1');
    expect(createPod.attributes).toMatchObject({ 'k8s.verb': 'create', 'k8s.api.group': '', 'k8s.api.version': 'v1', 'k8s.resource': 'pods', 'k8s.object.kind': 'Pod', 'k8s.namespace.name': 'default', 'http.response.status_code': 201 });
    const discovery = childrenOf(k8s, createPod);
    expect(discovery.map((s) => s.name)).toEqual(['discover v1']);
    expect(discovery[0].attributes).toMatchObject({ 'k8s.discovery': true, 'http.response.status_code': 200 });
    expect(httpChildren(spans, discovery[0]).length).toBe(1);
    expect(httpChildren(spans, createPod).map((s) => s.attributes['http.request.method'])).toEqual(['POST']);
    // Cached afterwards: no more discovery of v1.
    expect(named(k8s, 'discover v1').length).toBe(1);
    expect(createAgain.status.code).toBe(STATUS_ERROR);
    expect(createAgain.attributes).toMatchObject({ 'k8s.status.reason': 'AlreadyExists', 'http.response.status_code': 409 });
    expect(childrenOf(k8s, createAgain)).toEqual([]);
    expect(one(k8s, 'patch v1 pods').attributes['http.request.method']).toBe('PATCH');

    const missing = named(k8s, 'get v1 pods').find((s) => s.attributes['k8s.object.name'] === 'missing')!;
    expect(missing.status).toMatchObject({ code: STATUS_ERROR, message: '404 NotFound' });
    expect(missing.attributes).toMatchObject({ 'k8s.status.reason': 'NotFound', 'error.type': 'NotFound' });
    expect(named(k8s, 'list v1 pods').length).toBeGreaterThanOrEqual(2);

    // KubeVirt through the object API.
    const createVmi = one(k8s, 'CreateVMI');
    expect(createVmi.attributes).toMatchObject({ vmiName: 'vmi-obj', 'k8s.object.kind': 'VirtualMachineInstance', 'http.response.status_code': 201 });
    expect(childrenOf(k8s, createVmi).map((s) => s.name)).toEqual(['discover kubevirt.io/v1']);
    const polls = named(k8s, 'get kubevirt.io/v1 virtualmachineinstances');
    expect(polls.length).toBeGreaterThanOrEqual(2);
    // Each poll carries the phase it saw (none before the VMI's first phase); the app stops at Running or later.
    expect(['Running', 'Succeeded']).toContain(polls.at(-1)!.attributes['kubevirt.vmi.phase']);
    const seen = polls.map((s) => s.attributes['kubevirt.vmi.phase']).filter((p) => p !== undefined);
    expect(seen.every((p) => ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded'].includes(String(p)))).toBe(true);
    expect(one(k8s, 'DeleteVMI').attributes.vmiName).toBe('vmi-obj');

    // The informer's watch: a span per stream, the reconnection linked to the cut stream; the stop is not an error.
    const [first, second] = named(k8s, 'watch v1 pods').sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    const added = (span: ReceivedSpan) => span.events.filter((e) => e.name === 'k8s.watch.event' && e.attributes['k8s.watch.event.type'] === 'ADDED').map((e) => e.attributes['k8s.object.name']);
    expect(first.attributes).toMatchObject({ 'k8s.verb': 'watch', 'k8s.resource': 'pods', 'k8s.namespace.name': 'default', 'k8s.watch.end_reason': 'closed', 'k8s.watch.reconnect_count': 0 });
    expect(added(first)).toEqual(['web-2']);
    expect(second.attributes).toMatchObject({ 'k8s.watch.end_reason': 'aborted', 'k8s.watch.reconnect_count': 1 });
    expect(second.links).toEqual([expect.objectContaining({ spanId: first.spanId, attributes: { 'k8s.watch.link': 'previous_stream' } })]);
    expect(added(second)).toEqual(['web-3']);
    for (const watch of [first, second]) expect(watch.status.code).toBe(0);
    // The informer lists through send: list spans, not watch spans.
    expect(named(k8s, 'list v1 pods').length).toBeGreaterThanOrEqual(2);

    expectNoSecrets(spans, [APP_SECRET, sim.token]);
    expect(everything(spans)).not.toContain('example.com/token');
  });
});
