// Where the agent's files that run on their own are (the export worker thread, the exit sender process).
// One constant per file, relative to this module: the same layout in dist/ and in the bundled folder,
// whose build (scripts/build-autoinstrumentation.mjs) reads this list to emit each as its own file.
import * as path from 'node:path';

/** Run in a worker thread: sends serialized OTLP requests off the main thread. */
export const EXPORT_WORKER_FILE = path.join(__dirname, 'export', 'export-worker.js');
/** Run with spawnSync at process exit: posts the last spans. */
export const EXIT_SENDER_FILE = path.join(__dirname, 'export', 'exit-sender.js');

/** Every file above; the bundler keeps each one separate. */
export const STANDALONE_FILES: readonly string[] = [EXPORT_WORKER_FILE, EXIT_SENDER_FILE];
