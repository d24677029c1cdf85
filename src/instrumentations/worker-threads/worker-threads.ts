// Carries trace context into worker threads: `new Worker(...)` gets the context in its environment (TRACEPARENT, B3... as OTEL_PROPAGATORS says).
import { context, propagation } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type * as workerThreads from 'node:worker_threads';
import type { WorkerThreadsInstrumentationConfig } from './types';
import { injectIntoEnvironment } from '../../context/process-context';

const VERSION = '0.1.0';
type WorkerThreadsModule = typeof workerThreads;
type WorkerOptions = NonNullable<ConstructorParameters<WorkerThreadsModule['Worker']>[1]>;

/** The active context as environment variables (the configured propagators' fields, upper-cased, `-` as `_`). */
export function contextEnvironment(): Record<string, string> {
  const env: NodeJS.ProcessEnv = {};
  injectIntoEnvironment(env, context.active(), propagation);
  return env as Record<string, string>;
}

/**
 * A worker reads TRACEPARENT once, when the agent starts in it (the --import/--require preload is
 * inherited through execArgv). So the span active at `new Worker()` becomes the parent of the
 * worker's spans. The caller's options and env objects are copied, never changed.
 */
export class WorkerThreadsInstrumentation extends InstrumentationBase<WorkerThreadsInstrumentationConfig> {
  constructor(config: WorkerThreadsInstrumentationConfig = {}) {
    super('@org/otel-agent/instrumentation-worker-threads', VERSION, config);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'worker_threads',
      ['*'],
      (moduleExports: WorkerThreadsModule) => {
        const Original = moduleExports.Worker;
        const { SHARE_ENV } = moduleExports;
        class Worker extends Original {
          constructor(filename: string | URL, options?: WorkerOptions) {
            super(filename, withContext(options, SHARE_ENV));
          }
        }
        Object.defineProperty(Worker, 'name', { value: Original.name });
        (moduleExports as { Worker: unknown }).Worker = Worker;
        (Worker as unknown as { __original: unknown }).__original = Original;
        return moduleExports;
      },
      (moduleExports: WorkerThreadsModule) => {
        const original = (moduleExports.Worker as unknown as { __original?: WorkerThreadsModule['Worker'] }).__original;
        if (original) (moduleExports as { Worker: unknown }).Worker = original;
      },
    );
  }
}

function withContext(options: WorkerOptions | undefined, shareEnv: symbol): WorkerOptions | undefined {
  try {
    // SHARE_ENV shares the parent's live environment: nothing to inject without changing the parent's.
    if (options?.env === shareEnv) return options;
    const injected = contextEnvironment();
    if (Object.keys(injected).length === 0) return options;
    const base = (options?.env as NodeJS.ProcessEnv | undefined) ?? process.env;
    const env: NodeJS.ProcessEnv = { ...base };
    injectIntoEnvironment(env, context.active(), propagation);
    return { ...options, env };
  } catch {
    return options;
  }
}
