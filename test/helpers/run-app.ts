// Runs a small app in its own Node process with the agent loaded exactly as a user loads it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type Preload = 'import' | 'require' | 'node-options-import' | 'node-options-require' | 'none';

export interface RunOptions {
  /** File name -> contents, written into a fresh app directory. */
  files: Record<string, string>;
  entry: string;
  preload?: Preload;
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Packages from this repo's node_modules the app may import (e.g. 'express'). */
  packages?: string[];
  /** A Node binary other than the one running the tests. */
  node?: string;
  timeoutMs?: number;
}

/** How a child process ended, and what it printed. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunResult extends Finished {
  dir: string;
}

/**
 * Collects a child's stdout and stderr (spawned with both piped) until it closes. With `timeoutMs`, a child
 * still running then is killed (SIGKILL), so a hang fails the test instead of stalling the suite.
 */
export function finished(child: ChildProcessByStdio<null, Readable, Readable>, timeoutMs?: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A fresh app directory whose node_modules links to this package and the requested ones. */
export function makeAppDir(files: Record<string, string>, packages: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-app-'));
  fs.mkdirSync(path.join(dir, 'node_modules', '@org'), { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', '@org', 'otel-agent'), 'dir');
  for (const pkg of packages) {
    const target = path.join(dir, 'node_modules', pkg);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', pkg), target, 'dir');
  }
  for (const [name, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), contents);
  }
  return dir;
}

/** The parent's environment without any tracing variables, so tests see only what they set. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(OTEL_|KAR_|NODE_OPTIONS$|TRACEPARENT$|TRACESTATE$|BAGGAGE$|B3$|X_B3_|VITEST|NODE_ENV$)/.test(k)) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function preloadArgs(preload: Preload): { args: string[]; nodeOptions?: string } {
  switch (preload) {
    case 'import':
      return { args: ['--import', '@org/otel-agent'] };
    case 'require':
      return { args: ['--require', '@org/otel-agent'] };
    case 'node-options-import':
      return { args: [], nodeOptions: '--import @org/otel-agent' };
    case 'node-options-require':
      return { args: [], nodeOptions: '--require @org/otel-agent' };
    case 'none':
      return { args: [] };
  }
}

export function runApp(options: RunOptions): Promise<RunResult> {
  const dir = makeAppDir(options.files, options.packages);
  const { args, nodeOptions } = preloadArgs(options.preload ?? 'import');
  const env = cleanEnv({ ...options.env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) });
  const child = spawn(options.node ?? process.execPath, [...args, options.entry, ...(options.args ?? [])], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return finished(child, options.timeoutMs ?? 30_000).then((result) => ({ ...result, dir }));
}
