// The preload entry (`--import` / `--require` @org/otel-agent). Loads the agent bundled into one folder
// (dist/autoinstrumentation, the same build as the Kubernetes image: about ten files to read and compile at
// start instead of about a hundred), or the agent from dist/ in a build without it (tsc only).
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const BUNDLED = path.join(__dirname, 'autoinstrumentation', 'autoinstrumentation.js');

if (existsSync(BUNDLED)) {
  try {
    require(BUNDLED);
  } catch (err) {
    // A damaged install must not stop the program: the unbundled agent is next to it (it starts once at most).
    (require('./runtime/logging') as typeof import('./runtime/logging')).warn(`the bundled agent (${BUNDLED}) failed to load, using dist/ instead: ${err instanceof Error ? err.message : String(err)}`);
    require('./preload');
  }
} else {
  require('./preload');
}
