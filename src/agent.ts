// Starts the agent once per process: configuration, instrumentations, pipeline, lifecycle.
import type { Resource } from '@opentelemetry/resources';
import { resolveConfig, type AgentConfig, type AgentOptions } from './config';
import { readAppPackage } from './runtime/environment';
import { INSTRUMENTATIONS } from './instrumentations/registry';
import { startInstrumentations } from './instrumentations/loader';
import { describeError, info, setLogLevel, warn, warnConfiguration } from './runtime/logging';
import type { SignalPipeline } from './sdk/metrics-logs';
import type { TracePipeline } from './sdk/tracer-provider';

export interface AgentHandle {
  /** The configuration the agent runs with (undefined when it failed before resolving it). */
  readonly config?: AgentConfig;
  /** Whether spans are being produced and exported. */
  readonly active: boolean;
  /** Delivers every ended span (bounded by the flush timeout). */
  forceFlush(): Promise<void>;
  /** Flushes and stops; later spans are not exported. */
  shutdown(): Promise<void>;
}

const STATE = Symbol.for('@org/otel-agent');
type GlobalWithAgent = typeof globalThis & { [STATE]?: AgentHandle };

const inactive = (config?: AgentConfig): AgentHandle => ({
  config,
  active: false,
  forceFlush: async () => {},
  shutdown: async () => {},
});

/** The running agent, if one was started in this process (by the preload or by startAgent). */
export function currentAgent(): AgentHandle | undefined {
  return (globalThis as GlobalWithAgent)[STATE];
}

/** Starts the agent; a second call (e.g. --require plus --import) returns the first one's handle. */
export function start(options: AgentOptions = {}): AgentHandle {
  const g = globalThis as GlobalWithAgent;
  const existing = g[STATE];
  if (existing) return existing;
  let handle: AgentHandle;
  try {
    handle = startOnce(options);
  } catch (err) {
    warn(`the agent could not start and is off; the program runs without tracing: ${describeError(err)}`);
    handle = inactive();
  }
  g[STATE] = handle;
  return handle;
}

/** On when asked; by default when the process joins a trace it inherited. A worker thread is not a process: never. */
function wantsProcessSpan(config: AgentConfig, inherited: boolean): boolean {
  if (config.processSpan === 'off' || (config.processSpan === 'auto' && !inherited)) return false;
  return (require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
}

function startOnce(options: AgentOptions): AgentHandle {
  const { config, warnings } = resolveConfig(process.env, { knownInstrumentations: INSTRUMENTATIONS }, options);
  setLogLevel(config.logLevel);
  // Configuration warnings `otel-agent run` printed already are not repeated by each process of its command.
  warnings.forEach((w) => warnConfiguration(w));
  if (!config.enabled) {
    info(`off (${config.disabledBy})`);
    return inactive(config);
  }
  if (config.traceExporters.length === 0) {
    info('OTEL_TRACES_EXPORTER=none: no trace pipeline');
    return inactive(config);
  }
  // Instrumentations first: the require hook must precede every module load, the exporters' own included.
  const enabledIds = new Set(config.instrumentations);
  const functionSpanTargets =
    config.functionSpans.length > 0 ? (require('./instrumentations/function-spans') as typeof import('./instrumentations/function-spans')).startFunctionSpans(config.functionSpans) : [];
  const instrumentations = startInstrumentations(
    INSTRUMENTATIONS.filter((entry) => enabledIds.has(entry.id) && (entry.applies?.() ?? true)),
    config,
    functionSpanTargets,
  );

  // The SDK (sdk-trace, resources, exporters) is loaded when the first span starts; the resource
  // now when metrics or logs need it.
  const { Lifecycle } = require('./lifecycle/lifecycle') as typeof import('./lifecycle/lifecycle');
  let pipeline: TracePipeline | undefined;
  let resource: Resource | undefined;
  const getResource = () => (resource ??= (require('./sdk/resource') as typeof import('./sdk/resource')).buildResource(config, readAppPackage()));
  // A context from the parent process (TRACEPARENT, or the configured propagators' B3...) is the parent of this process's own spans.
  const { readInheritedContext, createContextManager, ProcessSpan } = require('./context/process-context') as typeof import('./context/process-context');
  const inherited = readInheritedContext(process.env, config.propagators);
  if (inherited.warning) warn(inherited.warning);
  const { context, metrics, propagation, trace, ROOT_CONTEXT } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  let baseContext = inherited.context ?? ROOT_CONTEXT;
  // Set now, not with the first span: the API dispatches every context lookup to the global manager,
  // and a manager swapped in while the program runs leaves those call sites polymorphic for good
  // (measured: about 12 % fewer requests/s for an express server). An inherited context also needs
  // it before the first span.
  context.setGlobalContextManager(createContextManager(() => baseContext));
  const buildPipeline = () => {
    if (pipeline) return pipeline.provider;
    const { createTracePipeline } = require('./sdk/tracer-provider') as typeof import('./sdk/tracer-provider');
    pipeline = createTracePipeline(config, getResource());
    return pipeline.provider;
  };
  const { DeferredPropagator, DeferredTracerProvider } = require('./sdk/deferred') as typeof import('./sdk/deferred');
  propagation.setGlobalPropagator(
    new DeferredPropagator(() => (require('./sdk/propagator') as typeof import('./sdk/propagator')).createPropagator(config.propagators)),
  );
  trace.setGlobalTracerProvider(new DeferredTracerProvider(buildPipeline));
  (require('./runtime/other-sdk') as typeof import('./runtime/other-sdk')).watchForOtherSdk(config.logLevel);

  let signals: SignalPipeline[] = [];
  if (config.metricsExporters.length > 0 || config.logsExporters.length > 0) {
    signals = (require('./sdk/metrics-logs') as typeof import('./sdk/metrics-logs')).startSignalPipelines(config, getResource());
    // Instrumentations built before the meter provider hold no-op meters; later ones get the global one.
    for (const instrumentation of instrumentations.instances) instrumentation.setMeterProvider(metrics.getMeterProvider());
  }
  const lifecycle = new Lifecycle(() => pipeline, config.flushTimeoutMillis, signals);
  lifecycle.install();
  if (wantsProcessSpan(config, inherited.context !== undefined)) {
    buildPipeline();
    const processSpan = ProcessSpan.start(trace.getTracer('@org/otel-agent'), baseContext, config.processSpanName);
    baseContext = trace.setSpan(baseContext, processSpan.span);
    lifecycle.processSpan = processSpan;
  }
  return {
    config,
    active: true,
    forceFlush: async () => {
      await lifecycle.forceFlush();
    },
    shutdown: () => lifecycle.shutdown(),
  };
}
