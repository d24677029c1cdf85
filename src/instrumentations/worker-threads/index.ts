// Worker threads: trace context from the creating span into the worker.
export { WorkerThreadsInstrumentation, contextEnvironment } from './worker-threads';
export type { WorkerThreadsInstrumentationConfig } from './types';
