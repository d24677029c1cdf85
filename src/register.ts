// The preload entry (`--import` / `--require` @org/otel-agent). Loads the agent bundled into one folder
// (dist/autoinstrumentation, the same build as the Kubernetes image: a few files to read and compile
// instead of a hundred), or the agent from dist/ in a build without it (tsc only).
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const BUNDLED = path.join(__dirname, 'autoinstrumentation', 'autoinstrumentation.js');

require(existsSync(BUNDLED) ? BUNDLED : './preload');
