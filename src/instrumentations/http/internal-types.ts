// Internal state kept on node:http objects, and the constants the spans use.
import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { RPCMetadata } from '@opentelemetry/core';

/** The context an http object's events run in (set on instrumented requests and responses only). */
export const kContext = Symbol('otel-agent.http.context');
/** Server span state, on the ServerResponse. */
export const kServer = Symbol('otel-agent.http.server');
/** Client span state, on the ClientRequest and its IncomingMessage response. */
export const kClient = Symbol('otel-agent.http.client');
/** Marks a function the agent already wrapped. */
export const kWrapped = Symbol.for('otel-agent.http.wrapped');

export interface WithState {
  [kContext]?: Context;
  [kServer]?: ServerState;
  [kClient]?: ClientState;
}

export interface ServerState {
  span: Span;
  recording: boolean;
  rpcMetadata: RPCMetadata;
  /** Raw request method, for the span name once a route is known. */
  method: string;
  /** performance.now() at start; only when metrics are recorded. */
  startTime: number;
  /** Metric attributes known at start (method, scheme, protocol version); only when metrics are recorded. */
  metricAttributes?: Attributes;
  ended: boolean;
}

export interface ClientState {
  span: Span;
  recording: boolean;
  startTime: number;
  metricAttributes?: Attributes;
  /** The response, once it arrived. */
  response?: { statusCode?: number; complete?: boolean };
  ended: boolean;
}

export const REDACTED = 'REDACTED';

/** Query parameters upstream redacts (case-sensitive there; matched case-insensitively here). */
export const UPSTREAM_REDACTED_PARAMS = ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token'];
/** Token-like query parameters the agent redacts beyond upstream, unless redaction is off. */
export const AGENT_REDACTED_PARAMS = ['access_token', 'refresh_token', 'id_token', 'token', 'client_secret', 'api_key', 'api-key', 'apikey', 'password', 'secret'];
/** Headers whose captured values are redacted unless redaction is off. */
export const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);

export const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** The conventions' bucket advice for http.{server,client}.request.duration, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
