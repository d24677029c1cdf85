// Startup-and-exit benchmark of a hello world: no agent vs @org/otel-agent (npm package and the Kubernetes folder) vs the official auto-instrumentations register; prints a table and updates bench/RESULTS.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  BenchError, REPORTER, RESULTS, checkDist, childEnv as cleanEnv, die, machine, makeAppDir as makeDir, median, p90, requireDist, writeResults as writeSection,
} from './lib/common.mjs';

const RUNS = Number(process.env.BENCH_RUNS) || 15;
const DEFAULTS_RUNS = Number(process.env.BENCH_DEFAULTS_RUNS) || 3; // each takes ~10 s (see RESULTS.md)
const WARMUP = 2;
const TIMEOUT_MS = 30_000;
const TARGET = 0.2;
/** Where the operator's init container puts the folder; the bench copies build/autoinstrumentation there (inside the temp app dir). */
const FOLDER = 'otel-auto-instrumentation-nodejs';
const FOLDER_ENTRY = `./${FOLDER}/autoinstrumentation.js`;

const ENDPOINT_ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }; // nothing listens there
const FAIR_ENV = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
const OFFICIAL = ['--import', '@opentelemetry/auto-instrumentations-node/register'];
const PRELOADS = [
  { name: 'none', args: [], env: FAIR_ENV, tracing: false, warmup: WARMUP, runs: RUNS },
  { name: 'agent', args: ['--import', '@org/otel-agent'], env: FAIR_ENV, tracing: true, warmup: WARMUP, runs: RUNS },
  // The operator's way: NODE_OPTIONS=--require <folder>/autoinstrumentation.js, for CJS and ESM apps alike.
  { name: 'agent (folder)', args: ['--require', FOLDER_ENTRY], env: FAIR_ENV, tracing: true, warmup: WARMUP, runs: RUNS },
  { name: 'official', args: OFFICIAL, env: FAIR_ENV, tracing: true, warmup: WARMUP, runs: RUNS },
  // What users get: the metrics/logs OTLP exporters flush (and retry) at exit. The 'official' row already warmed the same files.
  { name: 'official (defaults)', args: OFFICIAL, env: {}, tracing: true, warmup: 0, runs: DEFAULTS_RUNS },
];
const FORMATS = { cjs: 'CJS', mjs: 'ESM' };
const variants = Object.entries(FORMATS).flatMap(([ext, format]) =>
  PRELOADS.map((p) => ({ ...p, format, file: `hello.${ext}`, samples: [], failure: undefined })),
);

/** The parent's environment without tracing/Node settings (bench/lib/common.mjs), plus the variant's. */
const childEnv = (extra) => cleanEnv({ ...ENDPOINT_ENV, ...extra });

const envText = (v) => Object.entries({ ...ENDPOINT_ENV, ...v.env }).map(([k, val]) => `${k}=${val}`).join(' ');
const commandText = (v) => [envText(v), 'node --require bench/usage-reporter.cjs', ...v.args, v.file].join(' ');

/** A temp app dir whose node_modules resolves both agents the way a user's install would. */
function makeAppDir() {
  const dir = makeDir({ files: Object.fromEntries(Object.keys(FORMATS).map((ext) => [`hello.${ext}`, "console.log('hello');\n"])) });
  const built = path.join(import.meta.dirname, '..', 'build', 'autoinstrumentation');
  if (!fs.existsSync(path.join(built, 'autoinstrumentation.js'))) die('build/autoinstrumentation is missing: run npm run build:autoinstrumentation');
  fs.cpSync(built, path.join(dir, FOLDER), { recursive: true });
  return dir;
}

let seq = 0;
function runOnce(v, dir) {
  const usageFile = path.join(dir, `usage-${seq++}.json`);
  const env = childEnv({ ...v.env, BENCH_USAGE_FILE: usageFile });
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', REPORTER, ...v.args, v.file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      clearTimeout(timer);
      let report;
      if (fs.existsSync(usageFile)) report = JSON.parse(fs.readFileSync(usageFile, 'utf8'));
      fs.rmSync(usageFile, { force: true });
      resolve({ wallMs, code, signal, stdout, stderr, timedOut, report });
    });
  });
}

/** A broken agent must not produce a fast-looking number: every run must print hello, exit 0 and (for agents) have a tracer provider. */
function check(v, r) {
  const problem =
    r.code !== 0 ? `exit code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}` :
    r.stdout !== 'hello\n' ? `stdout ${JSON.stringify(r.stdout)} instead of "hello\\n"` :
    !r.report ? 'the usage reporter wrote nothing' :
    r.report.tracerProvider !== v.tracing ? `global tracer provider ${r.report.tracerProvider ? 'set' : 'not set'}` :
    undefined;
  if (problem) die(`${v.format} ${v.name} is broken: ${problem}\n  command: ${commandText(v)}\n  stderr: ${r.stderr.trim().slice(-2000) || '(empty)'}`);
}

const METRICS = [
  ['wall', 'wall ms', (r) => r.wallMs],
  ['cpu', 'CPU ms', (r) => (r.report.usage.userCPUTime + r.report.usage.systemCPUTime) / 1000],
  ['rss', 'peak RSS MiB', (r) => r.report.usage.maxRSS / 1024],
];
const fmt = (x, sign = false) => (x === undefined ? '–' : `${sign && x >= 0 ? '+' : ''}${x.toFixed(1)}`);

function summarize() {
  for (const v of variants) {
    v.stats = {};
    for (const [key, , pick] of METRICS) {
      const xs = v.samples.map(pick);
      v.stats[key] = xs.length ? { median: median(xs), p90: p90(xs) } : undefined;
    }
  }
  const find = (format, name) => variants.find((v) => v.format === format && v.name === name);
  const overhead = (v, key) => v.stats[key] && find(v.format, 'none').stats[key] && v.stats[key].median - find(v.format, 'none').stats[key].median;

  const head = `| format | variant | n | ${METRICS.map(([, label]) => `${label} median (p90)`).join(' | ')} | ${METRICS.map(([, label]) => `overhead ${label}`).join(' | ')} |`;
  const rows = variants.map((v) => {
    if (v.failure) return `| ${v.format} | ${v.name} | ${v.samples.length} | ${v.failure} |`;
    const cells = METRICS.map(([key]) => (v.stats[key] ? `${fmt(v.stats[key].median)} (${fmt(v.stats[key].p90)})` : '–'));
    const over = METRICS.map(([key]) => (v.name === 'none' ? '' : fmt(overhead(v, key), true)));
    return `| ${v.format} | ${v.name} | ${v.samples.length} | ${cells.join(' | ')} | ${over.join(' | ')} |`;
  });
  const table = [head, head.replace(/[^|]+/g, '---'), ...rows].join('\n');

  const ratioRows = Object.values(FORMATS).flatMap((format) =>
    ['agent', 'agent (folder)'].flatMap((agent) => ['official', 'official (defaults)'].map((base) => {
      const cells = METRICS.map(([key]) => {
        const a = overhead(find(format, agent), key);
        const o = overhead(find(format, base), key);
        if (a === undefined || !o || o <= 0) return 'n/a';
        const ratio = a / o;
        return base === 'official' ? `${ratio.toFixed(2)} ${ratio <= TARGET ? '✓' : '✗'}` : ratio.toFixed(2);
      });
      return `| ${format} | ${agent} / ${base} | ${cells.join(' | ')} |`;
    })),
  );
  const ratioHead = `| format | overhead ratio | ${METRICS.map(([, label]) => label).join(' | ')} |`;
  const ratios = [ratioHead, ratioHead.replace(/[^|]+/g, '---'), ...ratioRows].join('\n');
  return { table, ratios };
}

const writeResults = (section) => writeSection('startup', section);

async function main() {
  const stamp = requireDist();
  const dir = makeAppDir();
  const started = Date.now();
  try {
    const rounds = WARMUP + Math.max(RUNS, DEFAULTS_RUNS);
    for (let round = 0; round < rounds; round++) {
      for (const v of variants) {
        if (v.failure || round < WARMUP - v.warmup || round >= WARMUP + v.runs) continue;
        const r = await runOnce(v, dir);
        if (r.timedOut) {
          v.failure = `killed after ${TIMEOUT_MS / 1000} s`;
          console.error(`\nbench/startup: ${v.format} ${v.name} ran over ${TIMEOUT_MS / 1000} s and was killed; dropping it\n  command: ${commandText(v)}`);
          continue;
        }
        check(v, r);
        if (round >= WARMUP) v.samples.push(r);
      }
      process.stderr.write(`round ${round + 1}/${rounds} (${((Date.now() - started) / 1000).toFixed(0)} s)\r`);
    }
    process.stderr.write('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  checkDist(stamp);
  const { table, ratios } = summarize();
  const commands = [...new Map(variants.map((v) => [commandText(v), `# ${v.format} ${v.name}: ${v.warmup} warm-up, ${v.runs} measured`])).entries()]
    .map(([cmd, note]) => `${note}\n${cmd}`).join('\n');
  const section = `
## Startup

Startup-and-exit cost of a hello world (\`console.log('hello')\` in hello.cjs / hello.mjs), one process per run.

- Date: ${new Date().toISOString()}
- Machine: ${machine()}
- Node: ${process.version} (\`${process.execPath}\`)
- Runs: variants interleaved round-robin; warm-ups are discarded. Every run is checked: stdout exactly \`hello\\n\`, exit code 0, global tracer provider set for the agents (and not for \`none\`).
- Environment: the parent's environment without \`OTEL_*\` / \`NODE_OPTIONS\`, plus \`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9\` (nothing listens). For a fair comparison every row except \`official (defaults)\` also sets \`OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none\`; \`official (defaults)\` is what users of the official register get.
- Wall = parent-side \`spawn\` → \`'close'\`; CPU = child's \`userCPUTime + systemCPUTime\` and peak RSS = \`maxRSS\`, both from \`process.resourceUsage()\` in a preloaded \`'exit'\` listener (bench/usage-reporter.cjs, loaded first in every row, \`none\` included). Overhead = variant median − \`none\` median of the same format.

Commands (cwd: a temp app dir whose \`node_modules/@org/otel-agent\` is a copy of this repo's \`package.json\` and \`dist/\` taken at the start, with its dependencies linked, and \`node_modules/@opentelemetry\` links to its \`node_modules/@opentelemetry\`; \`${FOLDER}/\` is a copy of \`build/autoinstrumentation/\`, the folder the Kubernetes operator injects):

\`\`\`sh
${commands}
\`\`\`

${table}

Agent overhead / official overhead (target ≤ ${TARGET}, against the fair \`official\` row):

${ratios}
`;
  console.log(section);
  writeResults(section);
  console.log(`(written to ${path.relative(process.cwd(), RESULTS) || RESULTS})`);
}

await main().catch((err) => {
  console.error(`\nbench/startup: ${err instanceof BenchError ? err.message : err.stack}`);
  process.exitCode = 1;
});
