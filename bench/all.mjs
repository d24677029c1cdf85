// `npm run bench`: every benchmark in sequence (startup, http, fetch, spans, pipeline, child-process, exit), each in
// its own process; each prints its tables and updates its section of bench/out/RESULTS.md (the tracked
// bench/RESULTS.md with --write-results). Ends with the durations.
// BENCH_QUICK=1 shortens all of them (development runs); BENCH_ONLY=http,exit runs a subset.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BENCH, QUICK, RESULTS, ROOT, TRACKED_RESULTS, table, writeResults } from './lib/common.mjs';

const ALL = ['startup', 'http', 'fetch', 'spans', 'pipeline', 'child-process', 'exit'];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const chosen = only ? ALL.filter((name) => only.includes(name)) : ALL;
// The startup benchmark predates BENCH_QUICK: it reads its run counts.
const QUICK_ENV = QUICK ? { BENCH_RUNS: process.env.BENCH_RUNS ?? '3', BENCH_DEFAULTS_RUNS: process.env.BENCH_DEFAULTS_RUNS ?? '1' } : {};

function run(name) {
  return new Promise((resolve) => {
    // The results file is chosen once, here: each benchmark writes where this run does.
    const env = { ...process.env, ...(name === 'startup' ? QUICK_ENV : {}), ...(RESULTS === TRACKED_RESULTS ? { BENCH_WRITE_RESULTS: '1' } : {}) };
    const child = spawn(process.execPath, [path.join(BENCH, `${name}.mjs`)], { cwd: ROOT, stdio: 'inherit', env });
    child.on('close', (code, signal) => resolve(code === 0 ? 'ok' : `failed (${signal ?? `exit ${code}`})`));
  });
}

const started = Date.now();
const results = [];
for (const name of chosen) {
  const t = Date.now();
  console.log(`\n=== bench/${name}.mjs ===\n`);
  const outcome = await run(name);
  results.push([name, outcome, ((Date.now() - t) / 1000).toFixed(0)]);
}
const total = ((Date.now() - started) / 1000).toFixed(0);
const summary = table(['benchmark', 'outcome', 'seconds'], [...results, ['total', results.every((r) => r[1] === 'ok') ? 'ok' : 'failures', total]]);
console.log(`\n${summary}`);
if (!only && !QUICK && results.every((r) => r[1] === 'ok')) {
  writeResults('all', `## Last full run\n\n\`npm run bench\` on ${new Date().toISOString()}: every benchmark in sequence, ${total} s in all.\n\n${summary}`);
}
console.log(`results: ${path.relative(ROOT, RESULTS)}${RESULTS === TRACKED_RESULTS ? '' : ' (bench/RESULTS.md, which is tracked, is updated with --write-results)'}`);
if (results.some((r) => r[1] !== 'ok')) process.exitCode = 1;
