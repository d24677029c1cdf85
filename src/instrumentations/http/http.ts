// The agent's node:http / node:https instrumentation: one server span and one client span per request, at low cost.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  ValueType,
  type Attributes,
  type Context,
  type Histogram,
  type Span,
  type TextMapSetter,
} from '@opentelemetry/api';
import { isTracingSuppressed, RPCType, suppressTracing } from '@opentelemetry/core';
import { contextWithServerSpan, contextWithSpan } from '../../context/span-context';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { clientDurationHistogram, errorType, isClientErrorStatus, recordError, statusErrorType } from './client-outcome';
import { clientStartAttributes, describeOutgoing } from './client-request';
import { headerCapture, type HeaderCapture } from './headers';
import {
  AGENT_REDACTED_PARAMS,
  DURATION_BUCKETS,
  kClient,
  kContext,
  kServer,
  kWrapped,
  UPSTREAM_REDACTED_PARAMS,
  type ClientState,
  type ServerState,
  type WithState,
} from './internal-types';
import { serverStartAttributes } from './server-attributes';
import { serverErrorMessage } from './server-errors';
import type { HttpInstrumentationConfig } from './types';
import { matchesExcluded, QueryRedactor } from './url-parts';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

type Emit = (this: unknown, ...args: unknown[]) => boolean;
type RequestFn = (this: unknown, ...args: unknown[]) => http.ClientRequest;
type HttpModule = typeof http;

/** Injects propagation headers into a ClientRequest before its headers are sent. */
const REQUEST_SETTER: TextMapSetter<http.ClientRequest> = {
  set(request, key, value) {
    request.setHeader(key, value);
  },
};

// Span options shared by every request (the SDK only reads them).
const SERVER_SPAN = { kind: SpanKind.SERVER };
const CLIENT_SPAN = { kind: SpanKind.CLIENT };

// Static helpers handed to context.with (no closure per call).
function callEmit(original: Emit, self: unknown, args: IArguments): boolean {
  return original.apply(self, args as unknown as unknown[]);
}
function callRequest(original: RequestFn, self: unknown, args: unknown[]): http.ClientRequest {
  return original.apply(self, args);
}

/**
 * Node sends the headers while building the request when they are given as a raw array or include
 * `Expect` (100-continue): setHeader afterwards would throw. For those, the propagation headers go into
 * a copy of the options (never the caller's object) before the request is built. Undefined otherwise:
 * the common case injects with setHeader on the request, with no copy.
 */
function injectBeforeSend(args: unknown[], ctx: Context): unknown[] | undefined {
  const index = typeof args[0] === 'object' && args[0] !== null && !(args[0] instanceof URL) ? 0 : typeof args[1] === 'object' && args[1] !== null ? 1 : -1;
  if (index < 0) return undefined;
  const options = args[index] as { headers?: unknown };
  const headers = options.headers;
  if (Array.isArray(headers)) {
    const out = [...headers] as unknown[];
    const pairs = out.length > 0 && Array.isArray(out[0]);
    propagation.inject(ctx, out, {
      set(carrier, key, value) {
        if (pairs) carrier.push([key, value]);
        else carrier.push(key, value);
      },
    });
    return withOptions(args, index, { ...options, headers: out });
  }
  if (typeof headers === 'object' && headers !== null && Object.keys(headers).some((k) => k.toLowerCase() === 'expect')) {
    const out: Record<string, unknown> = { ...(headers as Record<string, unknown>) };
    propagation.inject(ctx, out);
    return withOptions(args, index, { ...options, headers: out });
  }
  return undefined;
}

function withOptions(args: unknown[], index: number, options: object): unknown[] {
  const out = [...args];
  out[index] = options;
  return out;
}

export class HttpInstrumentation extends InstrumentationBase<HttpInstrumentationConfig> {
  // Declared only: the base constructor creates them (through _updateMetricInstruments) before field initializers run.
  private declare serverDuration: Histogram;
  private declare clientDuration: Histogram;
  private redactor!: QueryRedactor;
  private excluded: readonly RegExp[] = [];
  private captureServerRequest?: HeaderCapture;
  private captureServerResponse?: HeaderCapture;
  private captureClientRequest?: HeaderCapture;
  private captureClientResponse?: HeaderCapture;
  /** Whether durations are recorded (asked in the config: the agent does when OTEL_METRICS_EXPORTER is set). */
  private metrics = false;
  private readonly patchedPrototypes: { target: object; original: Emit }[] = [];

  constructor(config: HttpInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this.configure();
  }

  override setConfig(config: HttpInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.configure();
  }

  private configure(): void {
    const config = this.getConfig();
    const redact = config.redaction !== false;
    this.redactor = new QueryRedactor(redact ? [...UPSTREAM_REDACTED_PARAMS, ...AGENT_REDACTED_PARAMS] : UPSTREAM_REDACTED_PARAMS, redact);
    this.excluded = config.excludedUrls ?? [];
    this.metrics = config.metrics === true;
    const h = config.captureHeaders ?? {};
    this.captureServerRequest = headerCapture('request', h.serverRequest, redact);
    this.captureServerResponse = headerCapture('response', h.serverResponse, redact);
    this.captureClientRequest = headerCapture('request', h.clientRequest, redact);
    this.captureClientResponse = headerCapture('response', h.clientResponse, redact);
  }

  protected override _updateMetricInstruments(): void {
    const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
    this.serverDuration = this.meter.createHistogram('http.server.request.duration', { description: 'Duration of HTTP server requests.', unit: 's', valueType: ValueType.DOUBLE, advice });
    this.clientDuration = clientDurationHistogram(this.meter);
  }

  protected init() {
    return [this.moduleDefinition('https'), this.moduleDefinition('http')];
  }

  private moduleDefinition(component: 'http' | 'https') {
    return new InstrumentationNodeModuleDefinition(
      component,
      ['*'],
      (exports: HttpModule) => {
        this.patchModule(exports, component);
        return exports;
      },
      (exports?: HttpModule) => {
        if (exports) this.unpatchModule(exports);
      },
    );
  }

  private patchModule(exports: HttpModule, component: 'http' | 'https'): void {
    if ((exports.request as unknown as WithWrapped)[kWrapped]) return;
    // Events of instrumented requests and responses run in their span's context (shared classes: patched once).
    const httpExports = component === 'http' ? exports : (require('node:http') as HttpModule);
    this.patchEmit(httpExports.IncomingMessage.prototype);
    this.patchEmit(httpExports.ServerResponse.prototype);
    this.patchEmit(httpExports.ClientRequest.prototype);
    this.patchServerEmit(exports.Server.prototype, component);
    const request = this.wrapRequest(exports.request as unknown as RequestFn, component);
    const get = function get(this: unknown) {
      const req = request.apply(this, arguments as unknown as unknown[]);
      req.end();
      return req;
    };
    markWrapped(get, exports.get);
    this._wrap(exports, 'request', () => request as unknown as typeof exports.request);
    this._wrap(exports, 'get', () => get as unknown as typeof exports.get);
  }

  private unpatchModule(exports: HttpModule): void {
    if ((exports.request as unknown as WithWrapped)[kWrapped]) {
      this._unwrap(exports, 'request');
      this._unwrap(exports, 'get');
    }
    const serverProto = exports.Server.prototype as unknown as { emit: Emit & WithWrapped };
    if (serverProto.emit[kWrapped]) serverProto.emit = serverProto.emit[kWrapped] as Emit & WithWrapped;
    for (const { target, original } of this.patchedPrototypes.splice(0)) (target as { emit: Emit }).emit = original;
  }

  /** Server.prototype.emit: 'request' starts the server span and runs the handler in its context. */
  private patchServerEmit(proto: object, component: 'http' | 'https'): void {
    const target = proto as { emit: Emit & WithWrapped };
    const original = target.emit;
    if (original[kWrapped]) return;
    const instrumentation = this;
    const emit = function emit(this: unknown, event: string | symbol, req: unknown, res: unknown): boolean {
      if (event !== 'request') return original.apply(this, arguments as unknown as unknown[]);
      return instrumentation.incoming(original, this, arguments, req as http.IncomingMessage & WithState, res as http.ServerResponse & WithState, component);
    };
    markWrapped(emit, original);
    target.emit = emit as Emit;
  }

  private incoming(original: Emit, server: unknown, args: IArguments, req: http.IncomingMessage & WithState, res: http.ServerResponse & WithState, component: 'http' | 'https'): boolean {
    let ctx: Context;
    let state: ServerState | undefined;
    let span: Span | undefined;
    try {
      if (this.excluded.length > 0 && this.isExcluded(req.url ?? '/')) {
        ctx = suppressTracing(ROOT_CONTEXT);
      } else {
        const parent = propagation.extract(ROOT_CONTEXT, req.headers);
        const method = req.method || 'GET';
        span = this.tracer.startSpan(method, SERVER_SPAN, parent);
        const recording = span.isRecording();
        if (!recording && !this.metrics) {
          // Nothing to record or measure (sampler off): the span only propagates. No RPC metadata (only the
          // end of a recording span reads the route), no state, nothing to do at the end.
          ctx = contextWithSpan(parent, span);
        } else {
          const attributes = serverStartAttributes(req, component, this.redactor);
          if (recording) {
            if (this.captureServerRequest) this.captureServerRequest(attributes, (name) => req.headers[name]);
            span.setAttributes(attributes);
          }
          const rpcMetadata = { type: RPCType.HTTP as const, span };
          ctx = contextWithServerSpan(parent, span, rpcMetadata);
          state = { span, recording, rpcMetadata, method, startTime: 0, ended: false };
          if (this.metrics) {
            state.startTime = performance.now();
            state.metricAttributes = { 'http.request.method': attributes['http.request.method'], 'url.scheme': component, 'network.protocol.version': req.httpVersion };
          }
          res[kServer] = state;
        }
      }
      req[kContext] = ctx;
      res[kContext] = ctx;
    } catch (err) {
      // Unusual input (a framework emitting its own request objects): no span, never a span left open.
      this._diag.debug('server span not started', err);
      if (res?.[kServer] === state) delete res[kServer];
      span?.end();
      return original.apply(server, args as unknown as unknown[]);
    }
    try {
      return context.with(ctx, callEmit, undefined, original, server, args);
    } catch (err) {
      // A handler that throws: the span records it and ends; the error goes on to the program unchanged.
      if (state !== undefined) this.endServerWithError(state, err);
      throw err;
    }
  }

  private isExcluded(value: string): boolean {
    return matchesExcluded(this.excluded, value);
  }

  /** Wraps `emit` of IncomingMessage, ServerResponse and ClientRequest: span ends, and the span's context for listeners. */
  private patchEmit(proto: object): void {
    const target = proto as { emit: Emit & WithWrapped };
    if (Object.prototype.hasOwnProperty.call(target, 'emit') && target.emit[kWrapped]) return;
    const original = target.emit;
    const instrumentation = this;
    const emit = function emit(this: WithState & { _events?: Record<string | symbol, unknown> }, event: string | symbol, arg: unknown): boolean {
      const ctx = this[kContext];
      if (ctx === undefined) return original.apply(this, arguments as unknown as unknown[]);
      if (this[kServer] !== undefined || this[kClient] !== undefined) instrumentation.onEvent(this, event, arg);
      // Listeners run in the span's context; without listeners there is nothing to run.
      const events = this._events;
      // Already in the span's context (emitted from the handler, or from a tick it scheduled, as a response's
      // 'finish' usually is): no switch needed (context.active is ~10x cheaper than context.with).
      if (events === undefined || events[event] === undefined || context.active() === ctx) return original.apply(this, arguments as unknown as unknown[]);
      return context.with(ctx, callEmit, undefined, original, this, arguments);
    };
    markWrapped(emit, original);
    this.patchedPrototypes.push({ target, original });
    target.emit = emit as Emit;
  }

  /** Span ends driven by the events of the request/response objects (never throws). */
  private onEvent(emitter: WithState, event: string | symbol, arg: unknown): void {
    try {
      const server = emitter[kServer];
      if (server !== undefined) {
        if (server.ended) return;
        if (event === 'close') this.endServer(emitter as http.ServerResponse, server);
        else if (event === 'error') this.endServerWithError(server, arg);
        return;
      }
      const client = emitter[kClient]!;
      if (client.ended) return;
      if (client.response === emitter) {
        // The response of a client request (it shares the request's state).
        const response = emitter as http.IncomingMessage;
        if (event === 'end') this.endClient(client, response.aborted && !response.complete ? '_OTHER' : undefined);
        else if (event === 'error') this.endClientWithError(client, arg);
        else if (event === 'close' && !response.complete) this.endClient(client, 'ECONNRESET');
        return;
      }
      const request = emitter as http.ClientRequest;
      if (event === 'response' || event === 'upgrade' || event === 'connect') {
        const response = arg as http.IncomingMessage & WithState;
        client.response = response;
        if (client.recording) this.onClientResponse(client, request, response);
        if (this.metrics) this.clientResponseMetricAttributes(client, response);
        if (event === 'response') {
          response[kClient] = client;
          response[kContext] = emitter[kContext];
        } else {
          this.endClient(client, undefined);
        }
      } else if (event === 'error') {
        this.endClientWithError(client, arg);
      } else if (event === 'close') {
        // Closed before a complete response: aborted, destroyed, or the response was never read.
        const response = client.response as http.IncomingMessage | undefined;
        this.endClient(client, response?.complete ? undefined : response ? 'ECONNRESET' : 'ABORTED');
      }
    } catch (err) {
      this._diag.debug('http event handling failed', err);
    }
  }

  private endServer(res: http.ServerResponse, state: ServerState): void {
    state.ended = true;
    const status = res.statusCode;
    const route = state.rpcMetadata.route;
    const span = state.span;
    const isError = !(status >= 100 && status < 500);
    if (state.recording) {
      const attributes: Attributes = { 'http.response.status_code': status };
      if (route !== undefined) attributes['http.route'] = route;
      if (status >= 500 && status < 600) attributes['error.type'] = String(status);
      if (this.captureServerResponse) this.captureServerResponse(attributes, (name) => res.getHeader(name));
      span.setAttributes(attributes);
      // The message of an error a framework passed on or recorded (server-errors.ts), as its own span has it.
      if (isError) span.setStatus({ code: SpanStatusCode.ERROR, message: serverErrorMessage(state.rpcMetadata) });
      if (route) span.updateName(`${state.method} ${route}`);
    }
    span.end();
    if (this.metrics && state.metricAttributes) {
      const attributes = state.metricAttributes;
      if (route !== undefined) attributes['http.route'] = route;
      attributes['http.response.status_code'] = status;
      if (status >= 500 && status < 600) attributes['error.type'] = String(status);
      this.serverDuration.record((performance.now() - state.startTime) / 1000, attributes);
    }
  }

  private endServerWithError(state: ServerState, err: unknown): void {
    this.endWithError(state, err, this.serverDuration);
  }

  /** http.request / https.request: a client span, its context injected into the request headers. */
  private wrapRequest(original: RequestFn, component: 'http' | 'https'): RequestFn {
    const instrumentation = this;
    const request = function request(this: unknown, input: unknown, extra: unknown): http.ClientRequest {
      const parent = context.active();
      if (isTracingSuppressed(parent)) return original.apply(this, arguments as unknown as unknown[]);
      let span: Span;
      let state: ClientState;
      let ctx: Context;
      try {
        const info = describeOutgoing(component, input, extra, instrumentation.redactor);
        if (info === undefined || (instrumentation.excluded.length > 0 && instrumentation.isExcluded(info.urlFull))) {
          return original.apply(this, arguments as unknown as unknown[]);
        }
        span = instrumentation.tracer.startSpan(info.name, CLIENT_SPAN, parent);
        const recording = span.isRecording();
        let attributes: Attributes | undefined;
        if (recording || instrumentation.metrics) attributes = clientStartAttributes(info);
        if (recording) span.setAttributes(attributes!);
        state = { span, recording, startTime: 0, ended: false };
        if (instrumentation.metrics) {
          state.startTime = performance.now();
          state.metricAttributes = { 'http.request.method': attributes!['http.request.method'], 'server.address': info.hostname, 'server.port': info.port };
        }
        ctx = contextWithSpan(parent, span);
      } catch (err) {
        instrumentation._diag.debug('client span not started', err);
        return original.apply(this, arguments as unknown as unknown[]);
      }
      let req: http.ClientRequest & WithState;
      let args = Array.prototype.slice.call(arguments) as unknown[];
      let injected = false;
      try {
        const early = injectBeforeSend(args, ctx);
        if (early) {
          args = early;
          injected = true;
        }
      } catch (err) {
        instrumentation._diag.debug('context not injected', err);
      }
      try {
        req = context.with(ctx, callRequest, undefined, original, this, args) as http.ClientRequest & WithState;
      } catch (err) {
        // Node rejected the arguments: the span says so, and the program sees the same error.
        instrumentation.endClientWithError(state, err);
        throw err;
      }
      try {
        req[kContext] = parent;
        req[kClient] = state;
        if (!injected) propagation.inject(ctx, req, REQUEST_SETTER);
      } catch (err) {
        instrumentation._diag.debug('context not injected', err);
      }
      return req;
    };
    markWrapped(request, original);
    return request;
  }

  private onClientResponse(state: ClientState, request: http.ClientRequest, response: http.IncomingMessage): void {
    const attributes: Attributes = {};
    if (response.statusCode != null) attributes['http.response.status_code'] = response.statusCode;
    const socket = response.socket;
    if (socket) {
      if (socket.remoteAddress !== undefined) attributes['network.peer.address'] = socket.remoteAddress;
      if (socket.remotePort !== undefined) attributes['network.peer.port'] = socket.remotePort;
      attributes['network.protocol.version'] = response.httpVersion;
    }
    if (this.captureClientRequest) this.captureClientRequest(attributes, (name) => request.getHeader(name));
    if (this.captureClientResponse) this.captureClientResponse(attributes, (name) => response.headers[name]);
    state.span.setAttributes(attributes);
  }

  private clientResponseMetricAttributes(state: ClientState, response: http.IncomingMessage): void {
    const attributes = state.metricAttributes!;
    if (response.socket) attributes['network.protocol.version'] = response.httpVersion;
    const status = response.statusCode;
    if (status) {
      attributes['http.response.status_code'] = status;
      const type = statusErrorType(status);
      if (type !== undefined) attributes['error.type'] = type;
    }
  }

  /** Ends a client span: by the response's status code, or as an error of type `failure`. */
  private endClient(state: ClientState, failure: string | undefined): void {
    state.ended = true;
    const span = state.span;
    if (failure !== undefined) {
      if (state.recording) {
        span.setAttribute('error.type', failure);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (state.metricAttributes) state.metricAttributes['error.type'] = failure;
    } else {
      const status = state.response?.statusCode;
      if (state.recording && status !== undefined) {
        const type = statusErrorType(status);
        if (type !== undefined) span.setAttribute('error.type', type);
        if (isClientErrorStatus(status)) span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    span.end();
    if (this.metrics && state.metricAttributes) this.clientDuration.record((performance.now() - state.startTime) / 1000, state.metricAttributes);
  }

  private endClientWithError(state: ClientState, err: unknown): void {
    this.endWithError(state, err, this.clientDuration);
  }

  /** A failed request or response: the span ends once, with the error's code as error.type. */
  private endWithError(state: ServerState | ClientState, err: unknown, duration: Histogram): void {
    if (state.ended) return;
    state.ended = true;
    const type = errorType(err);
    recordError(state.span, err, type);
    state.span.end();
    if (this.metrics && state.metricAttributes) {
      state.metricAttributes['error.type'] = type;
      duration.record((performance.now() - state.startTime) / 1000, state.metricAttributes);
    }
  }
}

interface WithWrapped {
  [kWrapped]?: unknown;
}
function markWrapped(fn: object, original: unknown): void {
  (fn as WithWrapped)[kWrapped] = original;
}
