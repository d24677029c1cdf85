// Express routes without a span per middleware: records the matched route (and a handler's error) on the request's server span.
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { patchLayer, patchRouterHandle, unpatchLayer, unpatchRouterHandle, type LayerPrototype, type RouterPrototype } from './express-errors';
import { kServer, kWrapped, type WithState } from './internal-types';
import type { ExpressRouteConfig } from './types';
import { PACKAGE_VERSION } from './version';

type Dispatch = (this: { path?: unknown }, req: { baseUrl?: string }, res: WithState, done: unknown) => unknown;
type Use = (this: unknown, ...args: unknown[]) => unknown;
interface RouteModule {
  Route?: { prototype: { dispatch?: Dispatch & { [kWrapped]?: Dispatch } } };
  /** express 4: the router prototype object itself; router (express 5): the Router class. */
  Router?: RouterTarget & { prototype?: RouterTarget };
}
type RouterTarget = { use?: Use & { [kWrapped]?: Use } } & RouterPrototype;

/**
 * Mount paths given to `use` that are not literal (parameters, wildcards, regular expressions). req.baseUrl
 * holds the values a request matched there (`/orgs/alice`), never the template: those are mapped back to the
 * templates, and a base that cannot be mapped names no route (values in span names would leak ids and
 * explode cardinality).
 */
const mountTemplates: { template: string; pattern: RegExp; segments: number }[] = [];
let nonLiteralMount = false;

const isNonLiteral = (segment: string) => /[:*?(]/.test(segment);

function recordMount(path: unknown): void {
  for (const p of Array.isArray(path) ? path : [path]) {
    if (p instanceof RegExp) nonLiteralMount = true;
    if (typeof p !== 'string') continue;
    const template = p.replace(/\/+$/, '');
    if (isNonLiteral(template)) nonLiteralMount = true;
    if (template === '' || mountTemplates.some((m) => m.template === template)) continue;
    const segments = template.split('/');
    const source = segments.map((segment) => (isNonLiteral(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    mountTemplates.push({ template, pattern: new RegExp(`^${source}(?=/|$)`, 'i'), segments: segments.length });
    // Longer mounts first: /orgs/:org/teams before /orgs/:org.
    mountTemplates.sort((a, b) => b.segments - a.segments);
  }
}

/** req.baseUrl with each mount replaced by the path it was mounted with; undefined when it cannot be mapped. */
function baseTemplate(baseUrl: string): string | undefined {
  // Only literal mounts so far: the base is its own template (the common case, no work per request).
  if (!nonLiteralMount) return baseUrl;
  let rest = baseUrl;
  let out = '';
  while (rest !== '') {
    const mount = mountTemplates.find((m) => m.pattern.test(rest));
    if (!mount) return undefined;
    out += mount.template;
    rest = rest.replace(mount.pattern, '');
  }
  return out;
}

/** The full route template: the mount path the router saw (req.baseUrl, as templates) and the route's own path. */
function routeOf(baseUrl: string | undefined, path: unknown): string | undefined {
  const own = typeof path === 'string' ? path : Array.isArray(path) ? path.map(String).join(',') : undefined;
  if (own === undefined) return undefined;
  if (!baseUrl) return own;
  const base = baseTemplate(baseUrl);
  if (base === undefined) return undefined;
  return `${base}${own === '/' ? '' : own}` || '/';
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
    const express = this.getConfig().module === 'express';
    const versions = express ? ['>=4.0.0 <6'] : ['>=1.0.0 <3'];
    // The layer that passes errors on: express 4 has its own router, express 5 uses the router package's.
    const layerFile = express
      ? new InstrumentationNodeModuleFile('express/lib/router/layer.js', ['>=4.0.0 <5'], patchLayerModule, unpatchLayerModule)
      : new InstrumentationNodeModuleFile('router/lib/layer.js', versions, patchLayerModule, unpatchLayerModule);
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
          const router = routerPrototype(exports);
          const use = router?.use?.[kWrapped];
          if (router && use) router.use = use;
          unpatchRouterHandle(router);
        },
        [layerFile],
      ),
    ];
  }
}

/**
 * Where routers get `use` and `handle`. express 5: express.Router is the router package's class (its
 * prototype); express 4: express.Router is the router prototype object itself (its routers are functions
 * whose prototype it is); the router package: the module is the Router class. Without that last case, an
 * app using the router package without express (or with the express hook off) would get no mount
 * templates, and the values a request matched in its span names.
 */
function routerPrototype(exports: RouteModule | undefined): RouterTarget | undefined {
  if (exports?.Router?.prototype?.use) return exports.Router.prototype;
  if (exports?.Router) return exports.Router;
  const own = (exports as { prototype?: RouterTarget } | undefined)?.prototype;
  return typeof exports === 'function' && typeof own?.use === 'function' ? own : undefined;
}

function patchLayerModule(exports: { prototype?: LayerPrototype }): { prototype?: LayerPrototype } {
  patchLayer(exports?.prototype);
  return exports;
}

function unpatchLayerModule(exports?: { prototype?: LayerPrototype }): void {
  unpatchLayer(exports?.prototype);
}

/** Router use(path, ...): remembers the mount path as written (setup time only, never per request). */
function patchUse(target: { use?: Use & { [kWrapped]?: Use } } | undefined): void {
  const original = target?.use;
  if (!target || typeof original !== 'function' || original[kWrapped]) return;
  const use = function use(this: unknown, ...args: unknown[]) {
    try {
      if (typeof args[0] !== 'function') recordMount(args[0]);
    } catch {
      // Best effort: an unknown mount only means fewer named routes.
    }
    return original.apply(this, args);
  } as Use & { [kWrapped]?: Use };
  use[kWrapped] = original;
  target.use = use;
}

function patchRoute(exports: RouteModule): void {
  const router = routerPrototype(exports);
  patchUse(router);
  // A handler's error that no layer took leaves through the router's `done`.
  patchRouterHandle(router);
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
    return original.apply(this, arguments as unknown as Parameters<Dispatch>);
  } as Dispatch & { [kWrapped]?: Dispatch };
  dispatch[kWrapped] = original;
  proto.dispatch = dispatch;
}
