// @org/otel-agent's instrumentation of fetch and the undici package, through undici's diagnostics channels (see README.md here).
export { UndiciInstrumentation } from './undici';
export type { UndiciInstrumentationConfig } from './types';
