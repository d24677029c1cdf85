// Express routes without a span per middleware: records the matched route on the request's server span.
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { kServer, kWrapped, type WithState } from './internal-types';
import type { ExpressRouteConfig } from './types';
import { PACKAGE_VERSION } from './version';

type Dispatch = (this: { path?: unknown }, req: { baseUrl?: string }, res: WithState, done: unknown) => unknown;
interface RouteModule {
  Route?: { prototype: { dispatch?: Dispatch & { [kWrapped]?: Dispatch } } };
}

/** The full route template: the mount path the router saw (req.baseUrl) and the route's own path. */
function routeOf(baseUrl: string | undefined, path: unknown): string | undefined {
  const own = typeof path === 'string' ? path : Array.isArray(path) ? path.map(String).join(',') : undefined;
  if (own === undefined) return undefined;
  return baseUrl ? `${baseUrl}${own === '/' ? '' : own}` || '/' : own;
}

/**
 * Express 4 dispatches matched routes in its own Route class, express 5 in the `router` package's (which
 * express re-exports as express.Route). Wrapping Route.prototype.dispatch costs one call per matched route.
 */
export class ExpressRouteInstrumentation extends InstrumentationBase<ExpressRouteConfig> {
  constructor(config: ExpressRouteConfig) {
    super(`@org/otel-agent/instrumentation-${config.module}-route`, PACKAGE_VERSION, config);
  }

  protected init() {
    const versions = this.getConfig().module === 'express' ? ['>=4.0.0 <6'] : ['>=1.0.0 <3'];
    return [
      new InstrumentationNodeModuleDefinition(
        this.getConfig().module,
        versions,
        (exports: RouteModule) => {
          patchRoute(exports);
          return exports;
        },
        (exports?: RouteModule) => {
          const proto = exports?.Route?.prototype;
          const original = proto?.dispatch?.[kWrapped];
          if (proto && original) proto.dispatch = original;
        },
      ),
    ];
  }
}

function patchRoute(exports: RouteModule): void {
  const proto = exports?.Route?.prototype;
  const original = proto?.dispatch;
  if (!proto || typeof original !== 'function' || original[kWrapped]) return;
  const dispatch = function dispatch(this: { path?: unknown }, req: { baseUrl?: string }, res: WithState) {
    try {
      const route = routeOf(req?.baseUrl, this.path);
      if (route !== undefined) {
        // The agent's server span keeps its RPC metadata on the response; upstream's is only in the context.
        const metadata = res?.[kServer]?.rpcMetadata ?? getRPCMetadata(context.active());
        if (metadata?.type === RPCType.HTTP) metadata.route = route;
      }
    } catch {
      // Naming the route is best effort; the request goes on either way.
    }
    // eslint-disable-next-line prefer-rest-params
    return original.apply(this, arguments as unknown as Parameters<Dispatch>);
  } as Dispatch & { [kWrapped]?: Dispatch };
  dispatch[kWrapped] = original;
  proto.dispatch = dispatch;
}
