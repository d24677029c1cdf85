// The scheduler's work: a dependency graph built by N workers, each package built (retried once), tested and license-checked.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { runWorker } from './worker.mjs';

const run = promisify(execFile);
const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.dirname(HERE);

/** Runs a command in the example's directory; resolves with its exit code (never rejects on a failing command). */
async function command(file, args) {
  try {
    await run(file, args, { cwd: ROOT });
    return 0;
  } catch (err) {
    if (typeof err.code === 'number') return err.code;
    throw err;
  }
}

export async function buildPackage(pkg, attempt, stateDir) {
  return (await command('make', ['-s', '-C', `SPECS/${pkg.name}`, `ATTEMPT=${attempt}`, `STATE=${stateDir}`])) === 0;
}

export async function runTests(pkg) {
  return (await command('node', ['tools/run-tests.mjs', pkg.name])) === 0;
}

export async function checkLicense(pkg) {
  return command('sh', ['tools/license-check.sh', pkg.name]);
}

/** Builds the whole graph with `workers` workers; returns the names of the packages that failed. */
export async function buildGraph(graph, workers, stateDir) {
  const pending = [...graph.packages];
  const finished = new Map();
  const wake = [];
  const state = {
    stateDir,
    next() {
      for (;;) {
        const i = pending.findIndex((p) => p.deps.every((d) => finished.has(d)));
        if (i >= 0) return pending.splice(i, 1)[0];
        return undefined;
      }
    },
    done(pkg, ok) {
      finished.set(pkg.name, ok);
      wake.splice(0).forEach((w) => w());
    },
  };
  // Workers wait for a package to become ready instead of exiting early.
  const worker = async (id) => {
    while (pending.length > 0) {
      if (pending.some((p) => p.deps.every((d) => finished.has(d)))) await runWorker(id, state);
      else await new Promise((resolve) => wake.push(resolve));
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i + 1)));
  return [...finished].filter(([, ok]) => !ok).map(([name]) => name);
}
