// A small build scheduler: walks the package graph in graph.json with N workers (--workers N), all work in child processes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildGraph } from './lib/scheduler.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const workersArg = process.argv.indexOf('--workers');
const workers = workersArg > 0 ? Number(process.argv[workersArg + 1]) : 2;
const graph = JSON.parse(readFileSync(path.join(here, 'graph.json'), 'utf8'));
const stateDir = mkdtempSync(path.join(tmpdir(), 'scheduler-state-'));

const failed = await buildGraph(graph, workers, stateDir);
console.log(`built ${graph.packages.length - failed.length} of ${graph.packages.length} packages${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length > 0 ? 1 : 0;
