// Public configuration of the worker-threads instrumentation.
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export type WorkerThreadsInstrumentationConfig = InstrumentationConfig;
