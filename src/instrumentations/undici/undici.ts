// The agent's instrumentation of fetch and the undici package: one client span per request, from undici's diagnostics channels.
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { context, propagation, SpanKind, type Attributes, type Histogram, type TextMapSetter } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { clientDurationHistogram, errorType, isClientErrorStatus, recordError, statusErrorType } from '../http/client-outcome';
import { headerCapture, type HeaderCapture, type HeaderValue } from '../http/headers';
import { AGENT_REDACTED_PARAMS, UPSTREAM_REDACTED_PARAMS } from '../http/internal-types';
import { contextWithSpan } from '../../context/span-context';
import { onProcessEnding } from '../../lifecycle/lifecycle';
import { matchesExcluded, normalizeMethod, QueryRedactor, targetPath } from '../http/url-parts';
import {
  kState,
  type ClientState,
  type ErrorMessage,
  type HeadersMessage,
  type OriginInfo,
  type RequestMessage,
  type SendHeadersMessage,
  type UndiciRequest,
} from './internal-types';
import type { UndiciInstrumentationConfig } from './types';

export const PACKAGE_NAME = '@org/otel-agent/instrumentation-undici';
export const PACKAGE_VERSION = '0.1.0';

const CLIENT_SPAN = { kind: SpanKind.CLIENT };
/** The reason undici cancels the body of a fetch Response garbage-collected unread with (lib/web/fetch/body.js). */
const COLLECTED_UNREAD = 'Response object has been garbage collected';
/** The failure of a request the process ended before it had a response. */
const ABORTED = { code: 'ABORTED', message: 'the process ended before the response' };
/** Origins remembered with their scheme, address and port (a program talks to few; the cache is emptied past this). */
const ORIGIN_CACHE_SIZE = 256;

/** Adds the propagation headers to undici's Request before it is sent. */
const REQUEST_SETTER: TextMapSetter<UndiciRequest> = {
  set(request, key, value) {
    if (typeof request.addHeader === 'function') request.addHeader(key, value);
    else if (typeof request.headers === 'string') request.headers += `${key}: ${value}\r\n`;
    else if (Array.isArray(request.headers)) request.headers.push(key, value);
  },
};

type Listener = (message: unknown) => void;

export class UndiciInstrumentation extends InstrumentationBase<UndiciInstrumentationConfig> {
  // Declared only: the base constructor calls setConfig and enable before field initializers would run.
  private declare duration: Histogram;
  private declare redactor: QueryRedactor;
  private declare excluded: readonly RegExp[];
  private declare captureRequest: HeaderCapture | undefined;
  private declare captureResponse: HeaderCapture | undefined;
  private declare metrics: boolean;
  private declare origins: Map<string, OriginInfo | null>;
  /** The channel listeners while enabled (bound once). */
  private declare listeners: [string, Listener][] | undefined;
  /** Spans not ended yet, newest first (an intrusive list: no allocation per request). */
  private declare open: ClientState | undefined;
  private declare exitHooked: boolean;

  constructor(config: UndiciInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  override setConfig(config: UndiciInstrumentationConfig = {}): void {
    super.setConfig(config);
    const redact = config.redaction !== false;
    this.redactor = new QueryRedactor(redact ? [...UPSTREAM_REDACTED_PARAMS, ...AGENT_REDACTED_PARAMS] : UPSTREAM_REDACTED_PARAMS);
    this.excluded = config.excludedUrls ?? [];
    this.metrics = config.metrics === true;
    this.captureRequest = headerCapture('request', config.captureHeaders?.clientRequest, redact);
    this.captureResponse = headerCapture('response', config.captureHeaders?.clientResponse, redact);
    this.origins = new Map();
  }

  protected override _updateMetricInstruments(): void {
    this.duration = clientDurationHistogram(this.meter);
  }

  /** No module to patch: undici (Node's own, behind fetch, and the package) publishes on diagnostics channels. */
  protected init(): void {}

  override enable(): void {
    super.enable();
    if (this.listeners !== undefined) return;
    this.listeners = [
      ['undici:request:create', this.onCreate.bind(this) as Listener],
      ['undici:client:sendHeaders', this.onSendHeaders.bind(this) as Listener],
      ['undici:request:headers', this.onHeaders.bind(this) as Listener],
      ['undici:request:trailers', this.onTrailers.bind(this) as Listener],
      ['undici:request:error', this.onError.bind(this) as Listener],
    ];
    for (const [name, listener] of this.listeners) diagnosticsChannel.subscribe(name, listener);
    if (!this.exitHooked) {
      this.exitHooked = true;
      // Before the agent's final flush, so that these spans are delivered (no listener of its own on
      // the process: the agent's lifecycle counts the beforeExit listeners).
      onProcessEnding(() => this.endOpen());
    }
  }

  /** The message on which the agent's loader created this instrumentation (undici loaded by path or bundled). */
  deliverChannelMessage(channel: string, message: unknown): void {
    this.listeners?.find(([name]) => name === channel)?.[1](message);
  }

  override disable(): void {
    super.disable();
    if (this.listeners === undefined) return;
    for (const [name, listener] of this.listeners) diagnosticsChannel.unsubscribe(name, listener);
    this.listeners = undefined;
  }

  /** A request is about to be dispatched: start its span (parent: the active context) and inject the context. */
  private onCreate(message: RequestMessage): void {
    try {
      const request = message.request;
      const method = request.method;
      if (request[kState] !== undefined || method === 'CONNECT') return;
      const parent = context.active();
      if (isTracingSuppressed(parent)) return;
      const originText = originOf(request.origin);
      const origin = originText === undefined ? undefined : this.originInfo(originText);
      if (origin === undefined) return;
      const path = request.path;
      const queryAt = path.indexOf('?');
      const query = queryAt === -1 ? '' : this.redactor.redact(path.slice(queryAt + 1));
      // An absolute path (a request through a proxy) is the whole URL.
      const base = path.charCodeAt(0) === 47 /* / */ ? originText : '';
      const urlFull = queryAt === -1 ? base + path : `${base}${path.slice(0, queryAt + 1)}${query}`;
      if (this.excluded.length > 0 && matchesExcluded(this.excluded, urlFull)) return;

      const normalized = normalizeMethod(method);
      const span = this.tracer.startSpan(normalized === '_OTHER' ? 'HTTP' : normalized, CLIENT_SPAN, parent);
      const recording = span.isRecording();
      if (recording) {
        const attributes: Attributes = {
          'http.request.method': normalized,
          'url.full': urlFull,
          'url.scheme': origin.scheme,
          'server.address': origin.address,
        };
        if (method !== normalized) attributes['http.request.method_original'] = method;
        const urlPath = targetPath(path, queryAt);
        if (urlPath !== undefined) attributes['url.path'] = urlPath;
        if (query !== '') attributes['url.query'] = query;
        if (origin.port !== undefined) attributes['server.port'] = origin.port;
        const userAgent = requestHeader(request.headers, 'user-agent');
        if (userAgent !== undefined) attributes['user_agent.original'] = Array.isArray(userAgent) ? userAgent[userAgent.length - 1] : (userAgent as string);
        if (this.captureRequest !== undefined) {
          const headers = request.headers;
          this.captureRequest(attributes, (name) => requestHeader(headers, name));
        }
        span.setAttributes(attributes);
      }
      const ctx = contextWithSpan(parent, span);
      if (!recording && !this.metrics) {
        // Nothing to record or measure (sampler off): the span only propagates; no state, nothing at its end.
        propagation.inject(ctx, request, REQUEST_SETTER);
        return;
      }
      const state: ClientState = { span, recording, ended: false, startTime: 0 };
      if (this.metrics) {
        state.startTime = performance.now();
        state.metricAttributes = { 'http.request.method': normalized, 'server.address': origin.address };
        if (origin.port !== undefined) state.metricAttributes['server.port'] = origin.port;
      }
      request[kState] = state;
      const head = this.open;
      if (head !== undefined) {
        head.prev = state;
        state.next = head;
      }
      this.open = state;
      propagation.inject(ctx, request, REQUEST_SETTER);
    } catch (err) {
      this._diag.debug('undici span not started', err);
    }
  }

  /** The headers went out: the socket's peer and protocol. */
  private onSendHeaders(message: SendHeadersMessage): void {
    const state = message.request[kState];
    if (state === undefined || state.ended) return;
    try {
      const socket = message.socket;
      state.peerAddress = socket.remoteAddress;
      state.peerPort = socket.remotePort;
      state.protocolVersion = socket.alpnProtocol === 'h2' ? '2' : '1.1';
    } catch (err) {
      this._diag.debug('undici sendHeaders not read', err);
    }
  }

  /** The response headers: its status, and the captured response headers. */
  private onHeaders(message: HeadersMessage): void {
    const state = message.request[kState];
    if (state === undefined || state.ended) return;
    try {
      const response = message.response;
      state.statusCode = response.statusCode;
      if (state.recording && this.captureResponse !== undefined) {
        const captured: Attributes = {};
        const headers = response.headers;
        this.captureResponse(captured, (name) => responseHeader(headers, name));
        state.captured = captured;
      }
    } catch (err) {
      this._diag.debug('undici response not read', err);
    }
  }

  /** The response is complete (body and trailers). */
  private onTrailers(message: RequestMessage): void {
    const state = message.request[kState];
    if (state === undefined || state.ended) return;
    try {
      this.end(state, undefined);
    } catch (err) {
      this._diag.debug('undici span not ended', err);
    }
  }

  /** The request or its response failed (refused, reset, aborted, timed out, body cancelled). */
  private onError(message: ErrorMessage): void {
    const state = message.request[kState];
    if (state === undefined || state.ended) return;
    try {
      const error = message.error;
      // A body never read, given up when its Response was collected: no failure of the request, as at exit.
      this.end(state, error === COLLECTED_UNREAD && state.statusCode !== undefined ? undefined : error);
    } catch (err) {
      this._diag.debug('undici span not ended', err);
    }
  }

  /** Ends the span once: by the response's status, or (`failed`) as an error of the error's code. */
  private end(state: ClientState, error: unknown): void {
    state.ended = true;
    const { prev, next } = state;
    if (prev !== undefined) prev.next = next;
    else if (this.open === state) this.open = next;
    if (next !== undefined) next.prev = prev;
    state.prev = state.next = undefined;
    const span = state.span;
    const status = state.statusCode;
    const failed = error !== undefined;
    const type = failed ? failureType(error) : status !== undefined ? statusErrorType(status) : undefined;
    if (state.recording) {
      const attributes: Attributes = state.captured ?? {};
      if (status !== undefined) attributes['http.response.status_code'] = status;
      if (state.peerAddress !== undefined) attributes['network.peer.address'] = state.peerAddress;
      if (state.peerPort !== undefined) attributes['network.peer.port'] = state.peerPort;
      if (state.protocolVersion !== undefined) attributes['network.protocol.version'] = state.protocolVersion;
      if (!failed && type !== undefined) attributes['error.type'] = type;
      span.setAttributes(attributes);
      if (failed) recordError(span, error, type!);
      else if (status !== undefined && isClientErrorStatus(status)) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    const metricAttributes = state.metricAttributes;
    if (metricAttributes !== undefined) {
      if (status !== undefined) metricAttributes['http.response.status_code'] = status;
      if (state.protocolVersion !== undefined) metricAttributes['network.protocol.version'] = state.protocolVersion;
      if (type !== undefined) metricAttributes['error.type'] = type;
      this.duration.record((performance.now() - state.startTime) / 1000, metricAttributes);
    }
  }

  /**
   * The process is ending with spans still open: a response body never read (undici stops reading it, so
   * it never completes), or a request still waiting. Each ends now: by its response's status, or (no
   * response yet) as ABORTED, as a node:http request closed before its response.
   */
  private endOpen(): void {
    while (this.open !== undefined) {
      const state = this.open;
      try {
        this.end(state, state.statusCode === undefined ? ABORTED : undefined);
      } catch (err) {
        this._diag.debug('undici span not ended', err);
        if (this.open === state) this.open = state.next;
      }
    }
  }

  /** Scheme, address and port of an origin, parsed once per origin; undefined when it is not a URL. */
  private originInfo(origin: string): OriginInfo | undefined {
    let info = this.origins.get(origin);
    if (info === undefined) {
      info = parseOrigin(origin);
      if (this.origins.size >= ORIGIN_CACHE_SIZE) this.origins.clear();
      this.origins.set(origin, info);
    }
    return info ?? undefined;
  }
}

/** request.origin: a string (fetch, dispatchers) or a URL (some callers of dispatch). */
function originOf(origin: UndiciRequest['origin']): string | undefined {
  if (typeof origin === 'string') return origin;
  if (origin !== null && typeof origin === 'object') return typeof origin.origin === 'string' ? origin.origin : String(origin);
  return undefined;
}

function parseOrigin(origin: string): OriginInfo | null {
  try {
    const url = new URL(origin);
    const scheme = url.protocol.slice(0, -1);
    const port = url.port !== '' ? Number(url.port) : scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
    return { scheme, address: url.hostname, port };
  } catch {
    return null;
  }
}

/**
 * error.type of a failed request: the error's code, as for http.request. fetch's abort is a DOMException
 * (numeric code): `ABORT_ERR`, the code http.request's abort error has.
 */
function failureType(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | null;
  if (e?.name === 'AbortError' && typeof e.code !== 'string') return 'ABORT_ERR';
  return errorType(error);
}

/** A request header (name lower-case) from undici's flat [name, value, ...] array or `name: value\r\n` text; repeated: an array. */
function requestHeader(headers: UndiciRequest['headers'], name: string): HeaderValue {
  let found: string | string[] | undefined;
  let more: string[] | undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const key = headers[i];
      if (typeof key !== 'string' || (key !== name && key.toLowerCase() !== name)) continue;
      if (found === undefined) found = headers[i + 1];
      else (more ??= []).push(...([] as string[]).concat(headers[i + 1]));
    }
  } else if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0 || line.slice(0, colon).trim().toLowerCase() !== name) continue;
      if (found === undefined) found = line.slice(colon + 1).trim();
      else (more ??= []).push(line.slice(colon + 1).trim());
    }
  }
  return more === undefined ? found : [...([] as string[]).concat(found!), ...more];
}

/** A response header (name lower-case) from undici's raw [name, value, ...] Buffers; repeated: an array. */
function responseHeader(headers: HeadersMessage['response']['headers'], name: string): HeaderValue {
  const values: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const key = headers[i];
    if (key.length === name.length && key.toString().toLowerCase() === name) values.push(headers[i + 1].toString());
  }
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
}
