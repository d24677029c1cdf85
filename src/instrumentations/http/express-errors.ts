// Errors an express app passes on (a handler throws, rejects or calls next(err)), recorded on the request's server span.
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { kServer, kWrapped, type WithState } from './internal-types';
import { recordOnServer } from './server-errors';

type HandleError = (this: unknown, error: unknown, req: unknown, res: WithState, next: unknown) => unknown;
type Handle = (this: unknown, req: unknown, res: WithState, done: unknown) => unknown;
type Done = (this: unknown, err?: unknown, ...rest: unknown[]) => unknown;

/** Layer.prototype of express 4 (`handle_error`) or of the router package (`handleError`, express 5). */
export interface LayerPrototype {
  handleError?: HandleError & { [kWrapped]?: HandleError };
  handle_error?: HandleError & { [kWrapped]?: HandleError };
}
/** The router whose `handle(req, res, done)` runs a request through a router's stack. */
export interface RouterPrototype {
  handle?: Handle & { [kWrapped]?: Handle };
}

/** Values the router passes to `next` that are routing signals, not errors (falsy values are not errors either). */
const isError = (err: unknown) => Boolean(err) && err !== 'route' && err !== 'router';

/**
 * Records `err` on the request's server span: an `exception` event, as upstream's express instrumentation
 * records on its handler span. The status is left to the end of the span, which knows the response: ERROR
 * with the error's message for a 5xx, unset when an error handler answered with a success (as upstream's
 * server span). The same object reaches every later layer and each enclosing router: recorded once.
 */
export function recordRouteError(res: WithState | undefined, err: unknown): void {
  if (!isError(err)) return;
  try {
    // The agent's server span keeps its RPC metadata on the response; upstream's is only in the context.
    const metadata = res?.[kServer]?.rpcMetadata ?? getRPCMetadata(context.active());
    if (metadata?.type !== RPCType.HTTP) return;
    const span = metadata.span;
    recordOnServer(metadata, err, err instanceof Error ? err.message : String(err), () => span.recordException(err instanceof Error ? err : String(err)));
  } catch {
    // Best effort: the error goes on to the app's error handlers either way.
  }
}

/** Layer error entry (called for every layer an error passes): the error is recorded before the layer sees it. */
export function patchLayer(proto: LayerPrototype | undefined): void {
  const key = typeof proto?.handleError === 'function' ? 'handleError' : typeof proto?.handle_error === 'function' ? 'handle_error' : undefined;
  if (!proto || key === undefined) return;
  const original = proto[key]!;
  if (original[kWrapped]) return;
  const wrapped = function handleError(this: unknown, error: unknown, req: unknown, res: WithState) {
    recordRouteError(res, error);
     
    return original.apply(this, arguments as unknown as Parameters<HandleError>);
  } as HandleError & { [kWrapped]?: HandleError };
  wrapped[kWrapped] = original;
  proto[key] = wrapped;
}

export function unpatchLayer(proto: LayerPrototype | undefined): void {
  for (const key of ['handleError', 'handle_error'] as const) {
    const original = proto?.[key]?.[kWrapped];
    if (proto && original) proto[key] = original;
  }
}

/**
 * Router handle: an error no layer took leaves the router through `done` (to the enclosing router, or to
 * express's final handler, which answers 500). One small function per router a traced request enters.
 */
export function patchRouterHandle(proto: RouterPrototype | undefined): void {
  const original = proto?.handle;
  if (!proto || typeof original !== 'function' || original[kWrapped]) return;
  const handle = function handle(this: unknown, req: unknown, res: WithState, done: unknown) {
    const state = res?.[kServer];
    // Only for a span that records: the agent's, or (OTEL_AGENT_HTTP_INSTRUMENTATION=upstream) upstream's.
    if (typeof done === 'function' && (state !== undefined ? state.recording : getRPCMetadata(context.active()) !== undefined)) {
      const callback = done as Done;
      const exit = function exit(this: unknown, err?: unknown) {
        recordRouteError(res, err);
         
        return callback.apply(this, arguments as unknown as unknown[]);
      };
      // handle(req, res, done) takes no more arguments (express 4's and the router package's).
      return original.call(this, req, res, exit);
    }
     
    return original.apply(this, arguments as unknown as Parameters<Handle>);
  } as Handle & { [kWrapped]?: Handle };
  handle[kWrapped] = original;
  proto.handle = handle;
}

export function unpatchRouterHandle(proto: RouterPrototype | undefined): void {
  const original = proto?.handle?.[kWrapped];
  if (proto && original) proto.handle = original;
}
