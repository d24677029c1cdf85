// The shapes of @kubernetes/client-node (1.x and 2.x) that the instrumentation touches.
import type { Context, Span } from '@opentelemetry/api';
import type { KubernetesRequestInfo } from './request-info';

/** gen/http/http.js RequestContext. */
export interface RequestContextLike {
  getUrl(): string;
  getHttpMethod(): string;
  getBody?(): unknown;
}

/** gen/http/http.js ResponseBody: text() and binary() in 1.x, plus stream() in 2.x. */
export interface ResponseBodyLike {
  text(): Promise<string>;
  binary?(): Promise<unknown>;
  stream?(): unknown;
}

/** gen/http/http.js ResponseContext. */
export interface ResponseContextLike {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: ResponseBodyLike;
}

/** gen/rxjsStub.js Observable: a promise holder. */
export interface ObservableLike<T> {
  promise: Promise<T>;
}

export interface HttpLibraryLike {
  send(request: RequestContextLike): ObservableLike<ResponseContextLike>;
}

/** KubeConfig, as far as the Watch uses it. */
export interface KubeConfigLike {
  getCurrentCluster(): { server?: string } | null;
}

export interface WatchLike {
  config?: KubeConfigLike;
  watch(
    path: string,
    queryParams: Record<string, unknown> | undefined,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

/** A Kubernetes object as far as names go; never more is read. */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  status?: { phase?: unknown; reason?: unknown; code?: unknown };
}

export interface KubernetesObjectApiLike {
  create(...args: unknown[]): Promise<unknown>;
  read(...args: unknown[]): Promise<unknown>;
  patch(...args: unknown[]): Promise<unknown>;
  replace(...args: unknown[]): Promise<unknown>;
  delete(...args: unknown[]): Promise<unknown>;
  list(...args: unknown[]): Promise<unknown>;
}

export interface ClientNodeExports {
  IsomorphicFetchHttpLibrary?: { prototype: HttpLibraryLike };
  Watch?: { prototype: WatchLike };
  KubernetesObjectApi?: { prototype: KubernetesObjectApiLike };
}

/**
 * An operation span started by a KubernetesObjectApi method: the first non-discovery request sent
 * while it is active fills in its request attributes instead of starting a span of its own.
 */
export interface PendingOperation {
  span: Span;
  context: Context;
  /** Set once the operation's own request was sent. */
  request?: KubernetesRequestInfo;
  statusCode?: number;
  reason?: string;
}
