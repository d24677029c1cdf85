// Where the agent's files that run on their own are (the export worker thread, the exit sender process).
// One constant per file, relative to the agent's root (dist/, or the bundled folder, whose build
// (scripts/build-autoinstrumentation.mjs) reads this list to emit each as its own file in the same layout).
import * as path from 'node:path';
import { BUNDLED } from './bundled';

/** dist/ (this module is dist/runtime/agent-files.js), or the bundled folder (all code is in its root file). */
const AGENT_ROOT = BUNDLED ? __dirname : path.join(__dirname, '..');

/** Run in a worker thread: sends serialized OTLP requests off the main thread. */
export const EXPORT_WORKER_FILE = path.join(AGENT_ROOT, 'export', 'export-worker.js');
/** Run with spawnSync at process exit: posts the last spans. */
export const EXIT_SENDER_FILE = path.join(AGENT_ROOT, 'export', 'exit-sender.js');

/** Every file above; the bundler keeps each one separate. */
export const STANDALONE_FILES: readonly string[] = [EXPORT_WORKER_FILE, EXIT_SENDER_FILE];
