// The Kubernetes client instrumentation in process: request parsing, and that it never changes what
// the client sees (results, errors, bodies) while recording spans, against stand-ins of the client's classes.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubernetesClientInstrumentation, parseRequest, spanNameOf } from '../../../../src/instrumentations/kubernetes';
import { safeErrorMessage } from '../../../../src/instrumentations/kubernetes/span-utils';

describe('parseRequest / spanNameOf (the apiserver rules)', () => {
  const cases: [string, string, Partial<ReturnType<typeof parseRequest>>, string][] = [
    ['GET', 'https://k8s:6443/api/v1/namespaces/default/pods/web', { verb: 'get', group: '', version: 'v1', resource: 'pods', namespace: 'default', name: 'web', serverAddress: 'k8s', serverPort: 6443 }, 'get v1 pods'],
    ['GET', 'https://k8s/api/v1/namespaces/default/pods', { verb: 'list', resource: 'pods', name: undefined, serverPort: 443 }, 'list v1 pods'],
    ['GET', 'http://k8s/api/v1/pods?watch=true&fieldSelector=metadata.name%3Dweb', { verb: 'watch', namespace: undefined, name: 'web', fieldSelector: 'metadata.name=web' }, 'watch v1 pods'],
    ['POST', 'http://k8s/apis/kubevirt.io/v1/namespaces/ci/virtualmachineinstances', { verb: 'create', group: 'kubevirt.io', version: 'v1', resource: 'virtualmachineinstances', namespace: 'ci' }, 'create kubevirt.io/v1 virtualmachineinstances'],
    ['PUT', 'http://k8s/apis/apps/v1/namespaces/ci/deployments/web/scale', { verb: 'update', resource: 'deployments', name: 'web', subresource: 'scale' }, 'update apps/v1 deployments/scale'],
    ['PATCH', 'http://k8s/api/v1/nodes/n1', { verb: 'patch', resource: 'nodes', name: 'n1', namespace: undefined }, 'patch v1 nodes'],
    ['DELETE', 'http://k8s/apis/cdi.kubevirt.io/v1beta1/namespaces/ci/datavolumes', { verb: 'deletecollection', resource: 'datavolumes' }, 'deletecollection cdi.kubevirt.io/v1beta1 datavolumes'],
    ['DELETE', 'http://k8s/api/v1/namespaces/ci', { verb: 'delete', resource: 'namespaces', name: 'ci', namespace: 'ci' }, 'delete v1 namespaces'],
    ['PUT', 'http://k8s/api/v1/namespaces/ci/finalize', { verb: 'update', resource: 'namespaces', name: 'ci', subresource: 'finalize' }, 'update v1 namespaces/finalize'],
    ['GET', 'http://k8s/api/v1/watch/namespaces/ci/pods', { verb: 'watch', namespace: 'ci', resource: 'pods' }, 'watch v1 pods'],
    ['GET', 'http://k8s/apis/kubevirt.io/v1', { isDiscovery: true, verb: 'get', group: 'kubevirt.io', version: 'v1', resource: undefined }, 'discover kubevirt.io/v1'],
    ['GET', 'http://k8s/api/v1', { isDiscovery: true, group: '', version: 'v1' }, 'discover v1'],
    ['GET', 'http://k8s/apis', { isDiscovery: true }, 'discover apis'],
    ['GET', 'http://k8s/version', { isResourceRequest: false, verb: 'get' }, 'get /version'],
    ['GET', 'http://proxy/k8s/clusters/c1/api/v1/pods', { verb: 'list', resource: 'pods' }, 'list v1 pods'],
  ];
  it.each(cases)('%s %s', (method, url, expected, name) => {
    const info = parseRequest(method, url);
    for (const [key, value] of Object.entries(expected)) expect(info[key as keyof typeof info], key).toBe(value);
    expect(spanNameOf(info)).toBe(name);
  });

  it('keeps only the first line of an ApiException message, never the body or headers', () => {
    const message = 'HTTP-Code: 409\nMessage: Unsuccessful HTTP Request\nBody: {"metadata":{"annotations":{"x":"secret"}}}\nHeaders: {}';
    expect(safeErrorMessage(new Error(message))).toBe('HTTP-Code: 409');
    expect(safeErrorMessage(new Error('Failed to fetch resource metadata for v1/Pod: HTTP-Code: 404'))).toBe('Failed to fetch resource metadata for v1/Pod: HTTP-Code: 404');
    expect(safeErrorMessage(new Error('oops Body: {"token":"x"}'))).toBe('oops');
  });
});

// Stand-ins with the shapes of @kubernetes/client-node's classes (gen/http, watch.js).
class Observable<T> {
  constructor(public promise: Promise<T>) {}
  toPromise() {
    return this.promise;
  }
}
interface FakeResponse {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string>; binary(): Promise<Buffer> };
}
let nextResponse: () => Promise<FakeResponse>;
class IsomorphicFetchHttpLibrary {
  send(_request: unknown) {
    return new Observable(nextResponse());
  }
}
type WatchCallback = (type: string, obj: unknown) => void;
let watchCalls: { path: string; query: Record<string, unknown>; callback: WatchCallback; done: (err: unknown) => void; controller: AbortController }[] = [];
class Watch {
  constructor(public config: { getCurrentCluster(): { server: string } | null }) {}
  async watch(path: string, query: Record<string, unknown>, callback: WatchCallback, done: (err: unknown) => void) {
    if (!this.config.getCurrentCluster()) throw new Error('No currently active cluster');
    const controller = new AbortController();
    watchCalls.push({ path, query, callback, done, controller });
    return controller;
  }
}
const request = (method: string, url: string, body?: string) => ({ getUrl: () => url, getHttpMethod: () => method, getBody: () => body });
const json = (status: number, body: unknown): FakeResponse => {
  const text = JSON.stringify(body);
  let reads = 0;
  return {
    httpStatusCode: status,
    headers: { 'content-type': 'application/json' },
    body: {
      text: async () => {
        if (reads++ > 0) throw new TypeError('Body is unusable: Body has already been read');
        return text;
      },
      binary: async () => Buffer.from(text),
    },
  };
};
const config = { getCurrentCluster: () => ({ server: 'http://127.0.0.1:6443' }) };

describe('KubernetesClientInstrumentation with stand-ins of the client', () => {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const instrumentation = new KubernetesClientInstrumentation({ watchReconnectWindowMs: 50 });
  instrumentation.setTracerProvider(provider);
  const definition = (instrumentation.getModuleDefinitions() as { patch: (e: unknown) => unknown }[])[0];
  const contextManager = new AsyncLocalStorageContextManager();
  const spans = () => memory.getFinishedSpans();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    definition.patch({ IsomorphicFetchHttpLibrary, Watch });
  });
  afterAll(() => {
    instrumentation.disable();
    context.disable();
  });
  beforeEach(() => {
    memory.reset();
    watchCalls = [];
  });

  it('an error answer: the client reads the same body; the span has the reason and no body', async () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'virtualmachineinstances.kubevirt.io "r1" already exists' };
    nextResponse = async () => json(409, status);
    const body = JSON.stringify({ metadata: { name: 'r1', annotations: { secret: 'jit-123' } } });
    const response = await new IsomorphicFetchHttpLibrary().send(request('POST', 'http://127.0.0.1:6443/apis/kubevirt.io/v1/namespaces/ci/virtualmachineinstances', body)).toPromise();
    expect(JSON.parse(await response.body.text())).toEqual(status);
    expect(JSON.parse((await response.body.binary()).toString())).toEqual(status);
    const [span] = spans();
    expect(span.name).toBe('CreateVMI');
    expect(span.attributes).toMatchObject({ vmiName: 'r1', namespace: 'ci', 'k8s.status.reason': 'AlreadyExists', 'error.type': 'AlreadyExists', 'http.response.status_code': 409 });
    expect(span.status).toEqual({ code: 2, message: '409 AlreadyExists' });
    expect(JSON.stringify(span.attributes)).not.toContain('jit-123');
    expect(JSON.stringify(span.attributes)).not.toContain('already exists');
  });

  it('a failed request rejects exactly as before; a request it cannot parse is passed through untouched', async () => {
    const boom = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    nextResponse = () => Promise.reject(boom);
    await expect(new IsomorphicFetchHttpLibrary().send(request('GET', 'http://127.0.0.1:6443/api/v1/pods')).toPromise()).rejects.toBe(boom);
    expect(spans()[0].attributes['error.type']).toBe('ECONNREFUSED');

    memory.reset();
    const ok = json(200, { kind: 'PodList', items: [] });
    nextResponse = async () => ok;
    const weird = { getUrl: () => { throw new Error('no url'); }, getHttpMethod: () => 'GET' };
    expect(await new IsomorphicFetchHttpLibrary().send(weird).toPromise()).toBe(ok);
    expect(spans()).toEqual([]);
  });

  it('the operation span is active while send runs', async () => {
    let active: string | undefined;
    nextResponse = async () => {
      active = (trace.getActiveSpan() as unknown as { name?: string })?.name;
      return json(200, { kind: 'Pod' });
    };
    await new IsomorphicFetchHttpLibrary().send(request('GET', 'http://127.0.0.1:6443/api/v1/namespaces/ci/pods/web')).toPromise();
    expect(active).toBe('get v1 pods');
  });

  it('a VMI wait continues in one span across a reconnection and ends with the final phase', async () => {
    const watch = new Watch(config);
    const vmi = (phase: string) => ({ metadata: { name: 'r1', namespace: 'ci' }, status: { phase } });
    const events: string[] = [];
    const done = (err: unknown) => events.push(`done ${err === null ? 'null' : (err as Error).name}`);
    await watch.watch('/apis/kubevirt.io/v1/namespaces/ci/virtualmachineinstances', { fieldSelector: 'metadata.name=r1' }, (t) => events.push(t), done);
    watchCalls[0].callback('MODIFIED', vmi('Pending'));
    watchCalls[0].done(null);
    expect(spans()).toEqual([]);
    await watch.watch('/apis/kubevirt.io/v1/namespaces/ci/virtualmachineinstances', { fieldSelector: 'metadata.name=r1', resourceVersion: '7' }, (t) => events.push(t), done);
    watchCalls[1].callback('MODIFIED', vmi('Running'));
    watchCalls[1].callback('MODIFIED', vmi('Succeeded'));
    const [span] = spans();
    expect(span.name).toBe('WaitForVirtualMachineInstance');
    expect(span.events.filter((e) => e.name === 'phase_transition').map((e) => e.attributes?.phase)).toEqual(['Pending', 'Running', 'Succeeded']);
    expect(span.attributes).toMatchObject({ vmiName: 'r1', phase: 'Succeeded', 'k8s.watch.reconnect_count': 1, 'k8s.watch.end_reason': 'final_phase' });
    watchCalls[1].done(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    expect(spans().length).toBe(1);
    // The program's callbacks saw everything, unchanged.
    expect(events).toEqual(['MODIFIED', 'done null', 'MODIFIED', 'MODIFIED', 'done AbortError']);
  });

  it('a VMI wait whose stream ends without a reconnection ends at the stream end', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const watch = new Watch(config);
      await watch.watch('/apis/kubevirt.io/v1/namespaces/ci/virtualmachineinstances/r2', {}, () => {}, () => {});
      watchCalls[0].callback('ADDED', { metadata: { name: 'r2' }, status: { phase: 'Running' } });
      const endedAt = Date.now();
      watchCalls[0].done(null);
      vi.advanceTimersByTime(1000);
      const [span] = spans();
      expect(span.name).toBe('WaitForVirtualMachineInstance');
      expect(span.attributes).toMatchObject({ vmiName: 'r2', phase: 'Running', 'k8s.watch.end_reason': 'closed' });
      expect(span.endTime[0] * 1000 + span.endTime[1] / 1e6).toBe(endedAt);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a generic watch: one span per stream, the reconnection linked; a watch that cannot start ends its span', async () => {
    const watch = new Watch(config);
    await watch.watch('/api/v1/namespaces/ci/pods', { labelSelector: 'app=web' }, () => {}, () => {});
    watchCalls[0].callback('ADDED', { metadata: { name: 'web-1' }, status: { phase: 'Running' } });
    watchCalls[0].done(null);
    await watch.watch('/api/v1/namespaces/ci/pods', { labelSelector: 'app=web', resourceVersion: '9' }, () => {}, () => {});
    watchCalls[1].done(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
    const [first, second] = spans();
    expect(first.name).toBe('watch v1 pods');
    expect(first.attributes).toMatchObject({ 'k8s.label_selector': 'app=web', 'k8s.watch.end_reason': 'closed', 'k8s.watch.event_count': 1 });
    expect(first.events[0].attributes).toMatchObject({ 'k8s.watch.event.type': 'ADDED', 'k8s.object.name': 'web-1', 'k8s.object.status.phase': 'Running' });
    expect(second.links.map((l) => l.context.spanId)).toEqual([first.spanContext().spanId]);
    expect(second.attributes).toMatchObject({ 'k8s.watch.reconnect_count': 1, 'k8s.watch.end_reason': 'aborted' });
    expect(second.status.code).toBe(0);

    memory.reset();
    const noCluster = new Watch({ getCurrentCluster: () => null });
    await expect(noCluster.watch('/api/v1/pods', {}, () => {}, () => {})).rejects.toThrow('No currently active cluster');
    expect(spans()).toEqual([]);
  });
});
