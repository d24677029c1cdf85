// Configuration: the public surface of src/config.
export { resolveConfig } from './resolve-config';
export { DEFAULT_FLUSH_TIMEOUT_MILLIS } from './defaults';
export type * from './types';
export type { Env } from './env-reader';
