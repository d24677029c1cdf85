// Attributes and error details shared by request, operation and watch spans. Never reads bodies.
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { KubernetesRequestInfo } from './request-info';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_K8S_API_GROUP,
  ATTR_K8S_API_VERSION,
  ATTR_K8S_DISCOVERY,
  ATTR_K8S_FIELD_SELECTOR,
  ATTR_K8S_LABEL_SELECTOR,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_OBJECT_NAME,
  ATTR_K8S_RESOURCE,
  ATTR_K8S_STATUS_REASON,
  ATTR_K8S_SUBRESOURCE,
  ATTR_K8S_VERB,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './semconv';

const SELECTOR_VERBS = new Set(['list', 'watch', 'deletecollection']);

export function requestAttributes(info: KubernetesRequestInfo): Attributes {
  const attributes: Attributes = {
    [ATTR_K8S_VERB]: info.verb,
    [ATTR_HTTP_REQUEST_METHOD]: info.method,
  };
  if (info.group !== undefined) attributes[ATTR_K8S_API_GROUP] = info.group;
  if (info.version !== undefined) attributes[ATTR_K8S_API_VERSION] = info.version;
  if (info.resource !== undefined) attributes[ATTR_K8S_RESOURCE] = info.resource;
  if (info.subresource !== undefined) attributes[ATTR_K8S_SUBRESOURCE] = info.subresource;
  if (info.namespace !== undefined) attributes[ATTR_K8S_NAMESPACE_NAME] = info.namespace;
  if (info.name !== undefined) attributes[ATTR_K8S_OBJECT_NAME] = info.name;
  if (SELECTOR_VERBS.has(info.verb)) {
    if (info.fieldSelector) attributes[ATTR_K8S_FIELD_SELECTOR] = info.fieldSelector;
    if (info.labelSelector) attributes[ATTR_K8S_LABEL_SELECTOR] = info.labelSelector;
  }
  if (info.isDiscovery) attributes[ATTR_K8S_DISCOVERY] = true;
  if (info.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = info.serverAddress;
  if (info.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = info.serverPort;
  return attributes;
}

/** Error status for an HTTP error answer: `404 NotFound`; error.type is the reason, else the status code. */
export function setHttpError(span: Span, statusCode: number, reason: string | undefined): void {
  if (reason) span.setAttribute(ATTR_K8S_STATUS_REASON, reason);
  span.setAttribute(ATTR_ERROR_TYPE, reason ?? String(statusCode));
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason ? `${statusCode} ${reason}` : String(statusCode) });
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  cause?: unknown;
}

/** A low-cardinality error type: a network code (ECONNREFUSED), an HTTP status code, or the error's class. */
export function errorTypeOf(err: unknown): string {
  if (err === null || typeof err !== 'object') return typeof err === 'string' ? 'Error' : String(typeof err);
  const e = err as ErrorLike;
  const cause = e.cause as ErrorLike | undefined;
  if (cause && typeof cause === 'object' && typeof cause.code === 'string') return cause.code;
  if (typeof e.code === 'string' && e.code) return e.code;
  if (typeof e.statusCode === 'number') return String(e.statusCode);
  if (typeof e.code === 'number') return String(e.code);
  const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
  return typeof ctor === 'string' && ctor ? ctor : 'Error';
}

/**
 * A message safe to export. The client's ApiException puts the whole response body and headers in
 * its message ("HTTP-Code: 404\nMessage: ...\nBody: {...}\nHeaders: {...}"): only the first line is
 * kept, never anything after "Body:" or "Headers:", and at most 300 characters.
 */
export function safeErrorMessage(err: unknown): string {
  let message = '';
  if (err && typeof err === 'object' && typeof (err as ErrorLike).message === 'string') message = (err as { message: string }).message;
  else if (typeof err === 'string') message = err;
  message = message.split(/\r?\n/)[0];
  const cut = message.search(/\b(Body|Headers):/);
  if (cut >= 0) message = message.slice(0, cut);
  message = message.trim();
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/** Records an error without its stack or body: exception.type and a safe message. */
export function recordError(span: Span, err: unknown, setStatus = true): void {
  const type = errorTypeOf(err);
  const message = safeErrorMessage(err);
  const name = err && typeof err === 'object' && typeof (err as ErrorLike).name === 'string' ? ((err as { name: string }).name) : type;
  span.addEvent('exception', { 'exception.type': name, 'exception.message': message });
  if (setStatus) {
    span.setAttribute(ATTR_ERROR_TYPE, type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: message || type });
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
