// OpenTelemetry instrumentation of @kubernetes/client-node 1.x and 2.x (ESM-only packages, loaded by
// import or by require(esm)): one CLIENT span per API operation, one per watch stream, KubeVirt names.
//
// Patch points (prototypes of classes exported from the package root, so every instance is covered,
// whichever inner module created it):
// - IsomorphicFetchHttpLibrary.prototype.send: every call of the generated APIs (CoreV1Api,
//   CustomObjectsApi, ...) and of KubernetesObjectApi. The span is active while `send` runs, so the
//   HTTP client span of the same request (undici in 2.x, http via node-fetch in 1.x) nests under it.
// - KubernetesObjectApi.prototype.{create,read,patch,replace,delete,list}: the operation span starts
//   before the method's discovery request (`GET /apis/{group}/{version}`, cached per apiVersion), which
//   becomes a `discover ...` child span; the operation's own request then fills in the operation span.
// - Watch.prototype.watch: one span per stream (fetch is called by Watch itself, not through send).
import { context, createContextKey, diag, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { isVmiResource, kubevirtOperationOf, phaseOf, resourceOfKind } from './kubevirt';
import { nameFromFieldSelector, parseRequest, spanNameOf, type KubernetesRequestInfo } from './request-info';
import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_K8S_API_GROUP,
  ATTR_K8S_API_VERSION,
  ATTR_K8S_FIELD_SELECTOR,
  ATTR_K8S_LABEL_SELECTOR,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_OBJECT_KIND,
  ATTR_K8S_OBJECT_NAME,
  ATTR_K8S_RESOURCE,
  ATTR_K8S_VERB,
  ATTR_KUBEVIRT_VMI_PHASE,
  ATTR_VMI_NAME,
} from './semconv';
import { isThenable, recordError, requestAttributes, setHttpError } from './span-utils';
import type { KubernetesInstrumentationConfig, KubernetesRequestHookInfo } from './types';
import type {
  ClientNodeExports,
  HttpLibraryLike,
  ObjectLike,
  PendingOperation,
  RequestContextLike,
  ResponseContextLike,
  WatchLike,
} from './internal-types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import { WatchTracker, type WatchStream } from './watch';

/** The same range as the module definition: '>=1.0.0 <3'. */

const OPERATION_KEY = createContextKey('@org/otel-agent kubernetes operation');

/** KubernetesObjectApi methods and the apiserver verb of each. */
const OBJECT_API_VERBS = { create: 'create', read: 'get', patch: 'patch', replace: 'update', delete: 'delete', list: 'list' } as const;
type ObjectApiMethod = keyof typeof OBJECT_API_VERBS;

/** Bodies larger than this are not parsed for a created object's name. */
const MAX_BODY_FOR_NAME = 1 << 20;

interface SendState {
  span: Span;
  /** This send started the span and ends it; otherwise the KubernetesObjectApi operation does. */
  own: boolean;
  info: KubernetesRequestInfo;
  context: Context;
  operation?: PendingOperation & { failed?: boolean };
}

const DEFAULTS = { kubevirt: true, watchEvents: true, watchReconnectWindowMs: 5000, readResponseStatus: true };

export class KubernetesClientInstrumentation extends InstrumentationBase<KubernetesInstrumentationConfig> {
  private watchTracker?: WatchTracker;

  constructor(config: KubernetesInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        '@kubernetes/client-node',
        ['>=1.0.0 <3'],
        (moduleExports: ClientNodeExports) => this.patch(moduleExports),
        (moduleExports: ClientNodeExports) => this.unpatch(moduleExports),
      ),
    ];
  }

  private settings() {
    const config = this.getConfig();
    return {
      kubevirt: config.kubevirt ?? DEFAULTS.kubevirt,
      watchEvents: config.watchEvents ?? DEFAULTS.watchEvents,
      watchReconnectWindowMs: Math.max(0, Number(config.watchReconnectWindowMs ?? DEFAULTS.watchReconnectWindowMs) || 0),
      readResponseStatus: config.readResponseStatus ?? DEFAULTS.readResponseStatus,
    };
  }

  private watches(): WatchTracker {
    if (!this.watchTracker) {
      const instrumentation = this;
      this.watchTracker = new WatchTracker(() => this.tracer, {
        get kubevirt() {
          return instrumentation.settings().kubevirt;
        },
        get watchEvents() {
          return instrumentation.settings().watchEvents;
        },
        get reconnectWindowMs() {
          return instrumentation.settings().watchReconnectWindowMs;
        },
        onStart: (span, info) => this.runHook(span, { request: info, kind: 'watch' }),
      });
    }
    return this.watchTracker;
  }

  private runHook(span: Span, info: KubernetesRequestHookInfo): void {
    const hook = this.getConfig().requestHook;
    if (typeof hook !== 'function') return;
    try {
      hook(span, info);
    } catch (err) {
      diag.debug('kubernetes instrumentation: requestHook threw', err);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Patching

  private patch(moduleExports: ClientNodeExports): ClientNodeExports {
    const http = moduleExports?.IsomorphicFetchHttpLibrary?.prototype;
    if (http && typeof http.send === 'function' && !isWrapped(http.send)) {
      this._wrap(http, 'send', (original) => this.wrapSend(original) as typeof original);
    }
    const watch = moduleExports?.Watch?.prototype;
    if (watch && typeof watch.watch === 'function' && !isWrapped(watch.watch)) {
      this._wrap(watch, 'watch', (original) => this.wrapWatch(original) as typeof original);
    }
    const objectApi = moduleExports?.KubernetesObjectApi?.prototype;
    if (objectApi) {
      for (const method of Object.keys(OBJECT_API_VERBS) as ObjectApiMethod[]) {
        if (typeof objectApi[method] === 'function' && !isWrapped(objectApi[method])) {
          this._wrap(objectApi, method, (original) => this.wrapObjectApiMethod(method, original) as typeof original);
        }
      }
    }
    return moduleExports;
  }

  private unpatch(moduleExports: ClientNodeExports): void {
    const http = moduleExports?.IsomorphicFetchHttpLibrary?.prototype;
    if (http && isWrapped(http.send)) this._unwrap(http, 'send');
    const watch = moduleExports?.Watch?.prototype;
    if (watch && isWrapped(watch.watch)) this._unwrap(watch, 'watch');
    const objectApi = moduleExports?.KubernetesObjectApi?.prototype;
    if (objectApi) {
      for (const method of Object.keys(OBJECT_API_VERBS) as ObjectApiMethod[]) if (isWrapped(objectApi[method])) this._unwrap(objectApi, method);
    }
  }

  // ------------------------------------------------------------------------------------------
  // IsomorphicFetchHttpLibrary.send

  private wrapSend(original: HttpLibraryLike['send']) {
    const instrumentation = this;
    return function send(this: unknown, request: RequestContextLike, ...rest: unknown[]) {
      let state: SendState | undefined;
      try {
        state = instrumentation.startSend(request);
      } catch (err) {
        diag.debug('kubernetes instrumentation: cannot trace request', err);
      }
      if (!state) return original.call(this, request, ...(rest as []));
      let result: ReturnType<HttpLibraryLike['send']>;
      try {
        result = context.with(state.context, () => original.call(this, request, ...(rest as [])));
      } catch (err) {
        instrumentation.safely(() => instrumentation.onSendError(state, err));
        throw err;
      }
      return instrumentation.observeSend(result, state);
    };
  }

  private startSend(request: RequestContextLike): SendState | undefined {
    if (!request || typeof request.getUrl !== 'function' || typeof request.getHttpMethod !== 'function') return undefined;
    const info = parseRequest(String(request.getHttpMethod()), request.getUrl());
    const active = context.active();
    const operation = active.getValue(OPERATION_KEY) as (PendingOperation & { name?: string }) | undefined;
    if (operation && !operation.request && !info.isDiscovery) {
      // The KubernetesObjectApi operation's own request: it fills in the operation span.
      if (info.name === undefined && operation.name) info.name = operation.name;
      operation.request = info;
      this.describe(operation.span, info);
      this.runHook(operation.span, { request: info, kind: 'request' });
      return { span: operation.span, own: false, info, context: trace.setSpan(active, operation.span), operation };
    }
    if (info.verb === 'create' && info.name === undefined) info.name = createdName(request);
    const span = this.tracer.startSpan(spanNameOf(info), { kind: SpanKind.CLIENT }, active);
    this.describe(span, info);
    this.runHook(span, { request: info, kind: info.isDiscovery ? 'discovery' : 'request' });
    return { span, own: true, info, context: trace.setSpan(active, span) };
  }

  /** Name and attributes of a request span (or of the operation span it fills in). */
  private describe(span: Span, info: KubernetesRequestInfo): void {
    span.setAttributes(requestAttributes(info));
    const kubevirt = this.settings().kubevirt ? kubevirtOperationOf(info) : undefined;
    span.updateName(kubevirt?.name ?? spanNameOf(info));
    if (kubevirt) span.setAttributes(kubevirt.attributes);
    else if (this.settings().kubevirt && isVmiResource(info.group, info.resource) && info.name && !info.isDiscovery) span.setAttribute(ATTR_VMI_NAME, info.name);
  }

  /** Follows the response (the client's Observable holds a promise) without changing it. */
  private observeSend(result: ReturnType<HttpLibraryLike['send']>, state: SendState): ReturnType<HttpLibraryLike['send']> {
    try {
      const onResponse = (response: ResponseContextLike) => {
        this.safely(() => this.onResponse(state, response));
        return response;
      };
      const onError = (err: unknown) => {
        this.safely(() => this.onSendError(state, err));
        throw err;
      };
      if (result && typeof result === 'object' && isThenable((result as { promise?: unknown }).promise)) {
        result.promise = result.promise.then(onResponse, onError);
        return result;
      }
      if (isThenable(result)) return (result as unknown as Promise<ResponseContextLike>).then(onResponse, onError) as unknown as typeof result;
    } catch (err) {
      diag.debug('kubernetes instrumentation: cannot follow response', err);
    }
    if (state.own) this.safely(() => state.span.end());
    return result;
  }

  private onResponse(state: SendState, response: ResponseContextLike): void {
    const statusCode = response?.httpStatusCode;
    if (typeof statusCode !== 'number') {
      if (state.own) state.span.end();
      return;
    }
    state.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    if (state.operation) state.operation.statusCode = statusCode;
    const failed = statusCode >= 400;
    const settings = this.settings();
    const wantsPhase =
      settings.kubevirt && statusCode < 300 && state.info.verb === 'get' && isVmiResource(state.info.group, state.info.resource) && state.info.name !== undefined;
    const text = settings.readResponseStatus && (failed || wantsPhase) && isJson(response.headers) ? teeBodyText(response) : undefined;
    if (!text) return this.finishResponse(state, statusCode, undefined);
    text
      .then(
        (body) => {
          let parsed: ObjectLike | undefined;
          try {
            parsed = JSON.parse(body) as ObjectLike;
          } catch {
            parsed = undefined;
          }
          let reason: string | undefined;
          if (failed) {
            const r = parsed && typeof parsed === 'object' ? (parsed as { reason?: unknown }).reason : undefined;
            reason = typeof r === 'string' && r ? r : undefined;
          } else {
            const phase = phaseOf(parsed);
            if (phase !== undefined) {
              state.span.setAttribute(ATTR_KUBEVIRT_VMI_PHASE, phase);
              this.watches().observePhase(state.info, phase);
            }
          }
          this.finishResponse(state, statusCode, reason);
        },
        () => this.finishResponse(state, statusCode, undefined),
      )
      .catch((err) => diag.debug('kubernetes instrumentation: cannot finish response', err));
  }

  private finishResponse(state: SendState, statusCode: number, reason: string | undefined): void {
    try {
      if (statusCode >= 400) {
        setHttpError(state.span, statusCode, reason);
        if (state.operation) {
          state.operation.reason = reason;
          state.operation.failed = true;
        }
      }
    } finally {
      if (state.own) state.span.end();
    }
  }

  private onSendError(state: SendState, err: unknown): void {
    if (state.operation) {
      // The operation records the error when its promise rejects.
      return;
    }
    recordError(state.span, err);
    state.span.end();
  }

  // ------------------------------------------------------------------------------------------
  // KubernetesObjectApi

  private wrapObjectApiMethod(method: ObjectApiMethod, original: (...args: unknown[]) => Promise<unknown>) {
    const instrumentation = this;
    return function (this: unknown, ...args: unknown[]) {
      let operation: (PendingOperation & { failed?: boolean }) | undefined;
      try {
        operation = instrumentation.startOperation(method, args);
      } catch (err) {
        diag.debug('kubernetes instrumentation: cannot trace operation', err);
      }
      if (!operation) return original.apply(this, args);
      const op = operation;
      let result: unknown;
      try {
        result = context.with(op.context, () => original.apply(this, args));
      } catch (err) {
        instrumentation.endOperation(op, err);
        throw err;
      }
      if (isThenable(result)) {
        // A side branch: the caller gets the original promise, unchanged.
        result.then(
          () => instrumentation.endOperation(op),
          (err) => instrumentation.endOperation(op, err),
        );
      } else {
        instrumentation.endOperation(op);
      }
      return result as Promise<unknown>;
    };
  }

  private startOperation(method: ObjectApiMethod, args: unknown[]): (PendingOperation & { name?: string }) | undefined {
    const verb = OBJECT_API_VERBS[method];
    let apiVersion: unknown;
    let kind: unknown;
    let namespace: unknown;
    let name: unknown;
    let fieldSelector: unknown;
    let labelSelector: unknown;
    if (method === 'list') {
      [apiVersion, kind, namespace] = args;
      fieldSelector = args[6];
      labelSelector = args[7];
    } else {
      const spec = args[0] as ObjectLike | undefined;
      if (!spec || typeof spec !== 'object') return undefined;
      apiVersion = spec.apiVersion || 'v1';
      kind = spec.kind;
      namespace = spec.metadata?.namespace;
      name = spec.metadata?.name;
    }
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !kind) return undefined;
    const slash = apiVersion.indexOf('/');
    const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    const resource = resourceOfKind(group, kind);
    const ns = typeof namespace === 'string' && namespace ? namespace : undefined;
    const objectName = typeof name === 'string' && name ? name : (method === 'list' ? nameFromFieldSelector(typeof fieldSelector === 'string' ? fieldSelector : undefined) : undefined);
    const attributes: Attributes = {
      [ATTR_K8S_VERB]: verb,
      [ATTR_K8S_API_GROUP]: group,
      [ATTR_K8S_API_VERSION]: version,
      [ATTR_K8S_OBJECT_KIND]: kind,
    };
    if (resource) attributes[ATTR_K8S_RESOURCE] = resource;
    if (ns) attributes[ATTR_K8S_NAMESPACE_NAME] = ns;
    if (objectName) attributes[ATTR_K8S_OBJECT_NAME] = objectName;
    if (typeof fieldSelector === 'string' && fieldSelector) attributes[ATTR_K8S_FIELD_SELECTOR] = fieldSelector;
    if (typeof labelSelector === 'string' && labelSelector) attributes[ATTR_K8S_LABEL_SELECTOR] = labelSelector;
    const kubevirt = this.settings().kubevirt && resource ? kubevirtOperationOf({ verb, group, resource, name: objectName, namespace: ns }) : undefined;
    if (kubevirt) Object.assign(attributes, kubevirt.attributes);
    // Until the request is sent the plural is unknown (discovery finds it): the kind stands in.
    const spanName = kubevirt?.name ?? `${verb} ${apiVersion} ${resource ?? kind}`;
    const active = context.active();
    const span = this.tracer.startSpan(spanName, { kind: SpanKind.CLIENT, attributes }, active);
    const operation: PendingOperation & { name?: string } = { span, context: active, name: objectName };
    operation.context = trace.setSpan(active, span).setValue(OPERATION_KEY, operation);
    return operation;
  }

  private endOperation(op: PendingOperation & { failed?: boolean }, err?: unknown): void {
    try {
      if (err !== undefined && !op.failed) recordError(op.span, err);
    } catch (e) {
      diag.debug('kubernetes instrumentation: cannot end operation', e);
    } finally {
      this.safely(() => op.span.end());
    }
  }

  // ------------------------------------------------------------------------------------------
  // Watch.watch

  private wrapWatch(original: WatchLike['watch']) {
    const instrumentation = this;
    type Callback = Parameters<WatchLike['watch']>[2];
    return function watch(this: WatchLike, path: string, queryParams: Record<string, unknown> | undefined, callback: Callback, done: (err: unknown) => void) {
      let stream: WatchStream | undefined;
      try {
        if (typeof callback === 'function' && typeof done === 'function') stream = instrumentation.watches().start(this?.config, path, queryParams);
      } catch (err) {
        diag.debug('kubernetes instrumentation: cannot trace watch', err);
      }
      if (!stream) return original.call(this, path, queryParams, callback, done);
      const s = stream;
      const tracedCallback = function (this: unknown, ...args: Parameters<typeof callback>) {
        instrumentation.safely(() => s.onEvent(args[0], args[1]));
        return callback.apply(this, args);
      };
      const tracedDone = function (this: unknown, err: unknown) {
        instrumentation.safely(() => s.onDone(err));
        return done.call(this, err);
      };
      let result: ReturnType<WatchLike['watch']>;
      try {
        result = context.with(s.context, () => original.call(this, path, queryParams, tracedCallback, tracedDone));
      } catch (err) {
        instrumentation.safely(() => s.onDone(err ?? new Error('watch failed')));
        throw err;
      }
      if (isThenable(result)) {
        // watch() rejects without calling done when it cannot start (no cluster, credentials failed).
        result.then(undefined, (err: unknown) => instrumentation.safely(() => s.onDone(err ?? new Error('watch failed'))));
      }
      return result;
    };
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      diag.debug('kubernetes instrumentation: internal error', err);
    }
  }
}

function isJson(headers: Record<string, string> | undefined): boolean {
  const type = headers?.['content-type'] ?? headers?.['Content-Type'];
  return typeof type === 'string' && /json/i.test(type);
}

/**
 * Reads the body text once and hands the same promise to the client: text() returns it, binary() and
 * stream() are rebuilt from it. Only for small JSON answers (errors and VMI gets). Undefined when the
 * body cannot be shared safely (then nothing was read).
 */
function teeBodyText(response: ResponseContextLike): Promise<string> | undefined {
  const body = response.body;
  if (!body || typeof body !== 'object' || typeof body.text !== 'function' || !Object.isExtensible(body)) return undefined;
  for (const key of ['text', 'binary', 'stream'] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(body, key);
    if (descriptor && 'value' in descriptor && !descriptor.writable) return undefined;
  }
  const originalText = body.text;
  let text: Promise<string>;
  try {
    text = Promise.resolve(originalText.call(body));
  } catch {
    return undefined;
  }
  // The client may never read it (then a failure stays as silent as it would have been).
  text.catch(() => {});
  body.text = () => text;
  if (typeof body.binary === 'function') body.binary = () => text.then((t) => Buffer.from(t, 'utf8'));
  if (typeof body.stream === 'function') {
    body.stream = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          text.then(
            (t) => {
              controller.enqueue(new TextEncoder().encode(t));
              controller.close();
            },
            (e) => controller.error(e),
          );
        },
      });
  }
  return text;
}

/** metadata.name of the object a create request sends; nothing else of the body is kept. */
function createdName(request: RequestContextLike): string | undefined {
  if (typeof request.getBody !== 'function') return undefined;
  const body = request.getBody();
  if (typeof body !== 'string' || body.length > MAX_BODY_FOR_NAME || !body.includes('"name"')) return undefined;
  try {
    const name = (JSON.parse(body) as ObjectLike)?.metadata?.name;
    return typeof name === 'string' && name ? name : undefined;
  } catch {
    return undefined;
  }
}
