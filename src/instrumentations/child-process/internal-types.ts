// Internal types and attribute names of the child_process instrumentation.
import type { ChildProcess } from 'node:child_process';

/** The child_process functions that are wrapped (exec is traced through execFile, which it calls). */
export type WrappedFunction = 'spawn' | 'spawnSync' | 'execFile' | 'execFileSync' | 'execSync' | 'fork';
export const WRAPPED_FUNCTIONS: readonly WrappedFunction[] = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'execSync', 'fork'];

export type ChildProcessModule = typeof import('node:child_process');
export type AnyFunction = (...args: unknown[]) => unknown;

/** Semantic-convention attributes (process.*, error.type). */
export const ATTR_PROCESS_EXECUTABLE_NAME = 'process.executable.name';
export const ATTR_PROCESS_EXECUTABLE_PATH = 'process.executable.path';
export const ATTR_PROCESS_COMMAND = 'process.command';
export const ATTR_PROCESS_COMMAND_ARGS = 'process.command_args';
export const ATTR_PROCESS_ARGS_COUNT = 'process.args_count';
export const ATTR_PROCESS_WORKING_DIRECTORY = 'process.working_directory';
export const ATTR_PROCESS_PID = 'process.pid';
export const ATTR_PROCESS_EXIT_CODE = 'process.exit.code';
export const ATTR_ERROR_TYPE = 'error.type';
/** Not in the semantic conventions: the signal that ended the child (`SIGTERM`). */
export const ATTR_PROCESS_EXIT_SIGNAL = 'process.exit.signal';
/** Not in the semantic conventions: true when process.command_args was cut to maxCommandLength. */
export const ATTR_PROCESS_COMMAND_ARGS_TRUNCATED = 'process.command_args_truncated';
/** Not in the semantic conventions: which child_process function started the child (`spawn`, `execSync`, ...). */
export const ATTR_CHILD_PROCESS_FUNCTION = 'child_process.function';

/** What the child runs, as the instrumentation records it. */
export interface CommandDescription {
  /** The executable that is started (`/bin/sh` for shell commands, the Node binary for fork). */
  executable: string;
  /** Its arguments (after argv[0]). */
  args: string[];
  /** argv[0] as the child sees it (options.argv0, else the executable). */
  argv0: string;
  cwd: string | undefined;
  /** The base environment the child gets (options.env || process.env). */
  env: NodeJS.ProcessEnv;
  /** For fork: the module path. */
  modulePath?: string;
}

/** A ChildProcess as the instrumentation observes it. */
export interface ObservedChild {
  readonly pid?: ChildProcess['pid'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  once(event: string | symbol, listener: (...args: any[]) => void): unknown;
}
