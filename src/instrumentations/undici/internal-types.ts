// Internal shapes: undici's diagnostics-channel messages (the parts read), and the span state kept on a request.
import type { Attributes, Span } from '@opentelemetry/api';

/** The client span's state, on undici's Request object. */
export const kState = Symbol('otel-agent.undici.state');

/** undici's internal Request, as its diagnostics channels publish it. */
export interface UndiciRequest {
  origin?: string | { origin?: string; toString(): string };
  path: string;
  method: string;
  /** undici 6+: a flat [name, value, ...] array; older versions: `name: value\r\n` lines. */
  headers: string | (string | string[])[];
  addHeader?(name: string, value: string): unknown;
  [kState]?: ClientState;
}

export interface RequestMessage {
  request: UndiciRequest;
}
export interface SendHeadersMessage {
  request: UndiciRequest;
  socket: { remoteAddress?: string; remotePort?: number; alpnProtocol?: string | false | null };
}
export interface HeadersMessage {
  request: UndiciRequest;
  response: { statusCode: number; headers: (Buffer | string)[] };
}
export interface ErrorMessage {
  request: UndiciRequest;
  error: unknown;
}

/** What a request origin gives every span to it (computed once per origin). */
export interface OriginInfo {
  /** `http` or `https`. */
  scheme: string;
  address: string;
  port: number | undefined;
}

export interface ClientState {
  span: Span;
  recording: boolean;
  ended: boolean;
  /** performance.now() at start; only when metrics are recorded. */
  startTime: number;
  metricAttributes?: Attributes;
  /** From the socket the headers went out on (undici:client:sendHeaders). */
  peerAddress?: string;
  peerPort?: number;
  protocolVersion?: string;
  statusCode?: number;
  /** Response headers captured when they arrive (set on the span at its end). */
  captured?: Attributes;
  /** Links of the list of open spans (ended at process exit when a response body is never read). */
  prev?: ClientState;
  next?: ClientState;
}
