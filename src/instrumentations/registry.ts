// Every instrumentation the agent can load: the upstream ones (generated table) and the agent's own.
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { BUNDLED } from '../runtime/bundled';
import type { AgentConfig } from '../config';
import { warn } from '../runtime/logging';
import { UPSTREAM_INSTRUMENTATIONS } from './upstream/table';

export interface InstrumentationEntry {
  /** Short id, as in OTEL_NODE_ENABLED_INSTRUMENTATIONS (e.g. 'http', 'express'). */
  readonly id: string;
  /** Modules it patches; empty when it hooks something else (diagnostics channels, the Lambda runtime). */
  readonly modules: readonly string[];
  readonly defaultOn: boolean;
  /** Globals whose first use means the instrumentation is needed (e.g. `fetch`, which has no module to load). */
  readonly globals?: readonly string[];
  /**
   * Diagnostics channels whose first message means it is needed: a library loaded by path or bundled
   * publishes there without ever being resolved by name. The instrumentation is then created and handed
   * that message (see ChannelFedInstrumentation).
   */
  readonly channels?: readonly string[];
  /** False when the instrumentation cannot apply to this process (it is then not loaded at all). */
  applies?(): boolean;
  /** Loads the instrumentation's code and constructs it (enabled), configured from the agent's config. */
  create(config: AgentConfig): Instrumentation;
}

/** Instrumentations that hook a runtime rather than a module, and when that runtime is present. */
const RUNTIME_CHECKS: Record<string, () => boolean> = {
  'aws-lambda': () => process.env.LAMBDA_TASK_ROOT !== undefined || process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined,
};

/** Instrumentations of things a program uses without loading a module. */
const GLOBAL_TRIGGERS: Record<string, { modules: string[]; globals: string[]; channels: string[] }> = {
  // Node's fetch is undici inside; the instrumentation listens on its diagnostics channels.
  undici: { modules: ['undici'], globals: ['fetch'], channels: ['undici:request:create'] },
};

/** `options`: from a configuration file (instrumentation/development.js.<id>), in the class's own names. */
function createUpstream(row: (typeof UPSTREAM_INSTRUMENTATIONS)[number], options?: Record<string, unknown>): Instrumentation {
  // Resolved lazily so a program that never loads e.g. `pg` never loads its instrumentation.
  const mod = require(resolveUpstream(row.pkg)) as Record<string, new (config?: object) => Instrumentation>;
  const Class = mod[row.className];
  if (typeof Class !== 'function') throw new Error(`${row.pkg} has no export ${row.className}`);
  return new Class(options);
}

/**
 * The agent's own instrumentation in place of an upstream one with the same id (so the enable/disable
 * variables keep their meaning): `http` unless OTEL_AGENT_HTTP_INSTRUMENTATION=upstream, `undici` (fetch and
 * the undici package) unless OTEL_AGENT_UNDICI_INSTRUMENTATION=upstream, and a lean route hook for `express` and `router` unless OTEL_AGENT_EXPRESS_MIDDLEWARE_SPANS=true.
 */
const AGENT_REPLACEMENTS: Record<string, (config: AgentConfig) => Instrumentation | undefined> = {
  http: (config) => {
    if (config.http.implementation === 'upstream') return undefined;
    const { HttpInstrumentation } = require('./http') as typeof import('./http');
    return new HttpInstrumentation({
      excludedUrls: config.http.excludedUrls.map((source) => new RegExp(source)),
      captureHeaders: config.http.captureHeaders,
      redaction: config.redaction.enabled,
      metrics: config.metricsExporters.length > 0,
    });
  },
  undici: (config) => {
    if (config.http.undiciImplementation === 'upstream') return undefined;
    const { UndiciInstrumentation } = require('./undici') as typeof import('./undici');
    return new UndiciInstrumentation({
      excludedUrls: config.http.excludedUrls.map((source) => new RegExp(source)),
      captureHeaders: { clientRequest: config.http.captureHeaders.clientRequest, clientResponse: config.http.captureHeaders.clientResponse },
      redaction: config.redaction.enabled,
      metrics: config.metricsExporters.length > 0,
    });
  },
  express: (config) => expressRoute(config, 'express'),
  router: (config) => expressRoute(config, 'router'),
};

function expressRoute(config: AgentConfig, module: 'express' | 'router'): Instrumentation | undefined {
  if (config.http.expressMiddlewareSpans) return undefined;
  const { ExpressRouteInstrumentation } = require('./http') as typeof import('./http');
  return new ExpressRouteInstrumentation({ module });
}

/** The log instrumentations send records only when logs are exported (else pino's stream, winston's transports and bunyan's streams stay the program's own). */
const LOG_SENDING = new Set(['pino', 'winston', 'bunyan']);

/**
 * Options the agent gives an upstream instrumentation; a configuration file's own options for it win.
 * Log sending is off without OTEL_LOGS_EXPORTER: it would only feed the no-op logger provider, and pino's
 * sending replaces the logger's stream with a multistream. Trace-id correlation (trace_id, span_id,
 * trace_flags in each record) stays on, as upstream.
 */
function upstreamOptions(id: string, config: AgentConfig): Record<string, unknown> | undefined {
  const fromFile = config.instrumentationOptions?.[id];
  if (!LOG_SENDING.has(id)) return fromFile;
  return { disableLogSending: config.logsExporters.length === 0, ...fromFile };
}

/**
 * Fixes applied to an upstream instrumentation where it changes what the program sees. koa: upstream's
 * patched `use` reads `middleware.router` before koa checks the argument, so `app.use(null)` threw
 * "Cannot read properties of null" instead of koa's "middleware must be a function!".
 */
const UPSTREAM_FIXES: Record<string, (instrumentation: Instrumentation) => void> = {
  koa: (instrumentation) => {
    const target = instrumentation as unknown as { _getKoaUsePatch?: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown };
    const getPatch = target._getKoaUsePatch;
    if (typeof getPatch !== 'function') return;
    target._getKoaUsePatch = function (this: unknown, original) {
      const patched = getPatch.call(this, original);
      return function use(this: unknown, ...args: unknown[]) {
        return typeof args[0] === 'function' ? patched.apply(this, args) : original.apply(this, args);
      };
    };
  },
};

function upstreamEntry(row: (typeof UPSTREAM_INSTRUMENTATIONS)[number]): InstrumentationEntry {
  const trigger = GLOBAL_TRIGGERS[row.id];
  const replacement = AGENT_REPLACEMENTS[row.id];
  return {
    id: row.id,
    applies: RUNTIME_CHECKS[row.id],
    globals: trigger?.globals,
    channels: trigger?.channels,
    modules: trigger ? [...row.modules, ...trigger.modules] : row.modules,
    defaultOn: row.defaultOn,
    create: (config) => {
      const own = replacement?.(config);
      if (own) return own;
      const instrumentation = createUpstream(row, upstreamOptions(row.id, config));
      UPSTREAM_FIXES[row.id]?.(instrumentation);
      return instrumentation;
    },
  };
}

/**
 * In the bundle, each instrumentation is a file of the bundle (node_modules/<pkg>/index.js next to the entry,
 * found before any node_modules above it). Installed, the packages are dependencies of
 * auto-instrumentations-node: resolved from there, so they pair with the agent's own @opentelemetry/instrumentation.
 */
function resolveUpstream(pkg: string): string {
  if (BUNDLED) return require.resolve(pkg);
  return require.resolve(pkg, { paths: [require('node:path').dirname(require.resolve('@opentelemetry/auto-instrumentations-node')) as string] });
}

/** Metrics-only instrumentations are left out: the agent is a tracing agent. */
const METRICS_ONLY = new Set(['host-metrics', 'runtime-node']);

export const INSTRUMENTATIONS: readonly InstrumentationEntry[] = [
  ...UPSTREAM_INSTRUMENTATIONS.filter((row) => !METRICS_ONLY.has(row.id)).map(upstreamEntry),
  {
    id: 'worker_threads',
    modules: ['worker_threads'],
    defaultOn: true,
    applies: () => true,
    create: (config) => {
      const { WorkerThreadsInstrumentation } = require('./worker-threads') as typeof import('./worker-threads');
      return new WorkerThreadsInstrumentation({ enabled: config.childProcessPropagation });
    },
  },
  {
    id: 'fastify',
    modules: ['fastify'],
    channels: ['fastify.initialization', 'tracing:fastify.request.handler:start'],
    defaultOn: true,
    create: () => new (require('./fastify') as typeof import('./fastify')).FastifyInstrumentation(),
  },
  {
    id: 'kubernetes',
    modules: ['@kubernetes/client-node'],
    defaultOn: true,
    create: () => new (require('./kubernetes') as typeof import('./kubernetes')).KubernetesClientInstrumentation(),
  },
  {
    id: 'child_process',
    modules: ['child_process'],
    defaultOn: true,
    create: (config) => {
      const { ChildProcessInstrumentation, loadRulesFile } = require('./child-process') as typeof import('./child-process');
      let rules: ReturnType<typeof loadRulesFile>['rules'] | undefined;
      if (config.commandRulesFile) {
        const loaded = loadRulesFile(config.commandRulesFile);
        loaded.warnings.forEach((w) => warn(`OTEL_AGENT_COMMAND_RULES: ${w}`));
        rules = loaded.rules;
      }
      return new ChildProcessInstrumentation({
        propagateContext: config.childProcessPropagation,
        redaction: config.redaction.enabled ? 'on' : 'off',
        redactFlags: config.redaction.extraFlags,
        rules,
      });
    },
  },
];
