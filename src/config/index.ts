// Configuration: the public surface of src/config.
export { resolveConfig, DEFAULT_FLUSH_TIMEOUT_MILLIS } from './resolve-config';
export type * from './types';
export type { Env } from './env-reader';
