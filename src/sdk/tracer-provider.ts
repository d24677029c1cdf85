// The trace pipeline: sampler, span processors, context manager and propagators, registered globally.
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { AgentConfig, SamplerConfig } from '../config';
import { createDestinations, type Destination } from '../export/exporters';
import { FrameworkErrorProcessor } from '../instrumentations/http/framework-errors';
import { AgentTracerProvider } from './lean-tracer';
import { PooledIdGenerator } from './id-generator';
import { RedactionProcessor } from './redaction-processor';

export { createPropagator } from './propagator';

export function createSampler(config: SamplerConfig): Sampler {
  switch (config.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
    case 'parent_based': {
      // A configuration file's parent_based sampler: every branch it sets, the SDK's defaults for the rest.
      const branch = (c?: SamplerConfig) => (c ? createSampler(c) : undefined);
      return new ParentBasedSampler({
        root: createSampler(config.root),
        remoteParentSampled: branch(config.remoteParentSampled),
        remoteParentNotSampled: branch(config.remoteParentNotSampled),
        localParentSampled: branch(config.localParentSampled),
        localParentNotSampled: branch(config.localParentNotSampled),
      });
    }
  }
}

export interface TracePipeline {
  provider: AgentTracerProvider;
  destinations: Destination[];
}

/** One span processor per destination; each counts its own spans for the lifecycle. */
export function createTracePipeline(config: AgentConfig, resource: Resource): TracePipeline {
  const destinations = createDestinations(config.traceExporters, config.batch);
  const spanProcessors: SpanProcessor[] = destinations.map((d) => d.processor);
  const provider = new AgentTracerProvider({
    // The agent's own instrumentations' spans: the lean span unless OTEL_AGENT_LEAN_SPANS=false (see lean-tracer.ts).
    leanSpans: config.leanSpans,
    resource,
    sampler: createSampler(config.sampler),
    spanLimits: config.spanLimits,
    idGenerator: new PooledIdGenerator(),
    // First: secrets in exception and status messages are redacted in onEnding, before anything's onEnd.
    // Last: a framework's exception reaches the request's server span (which is exported when it ends).
    spanProcessors: [...(config.redaction.enabled ? [new RedactionProcessor()] : []), ...spanProcessors, new FrameworkErrorProcessor()],
  });
  return { provider, destinations };
}

