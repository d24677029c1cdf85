// Helpers shared by the benchmarks: the clean child environment, the temp app dir, running a child with a
// time limit, medians, the agent's loss line, the machine description and bench/RESULTS.md sections.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH);
/** The tracked results file: updated only when asked (`--write-results`), so a run leaves the work tree clean. */
export const TRACKED_RESULTS = path.join(BENCH, 'RESULTS.md');
/**
 * Where a run writes its sections: bench/out/RESULTS.md (gitignored) by default; the tracked
 * bench/RESULTS.md with `--write-results` (or BENCH_WRITE_RESULTS=1, which bench/all.mjs passes on).
 */
export function resultsPath(argv = process.argv, env = process.env) {
  return argv.includes('--write-results') || env.BENCH_WRITE_RESULTS === '1' ? TRACKED_RESULTS : path.join(BENCH, 'out', 'RESULTS.md');
}
export const RESULTS = resultsPath();
export const REPORTER = path.join(BENCH, 'usage-reporter.cjs');
export const APPS = path.join(BENCH, 'apps');
/** BENCH_QUICK=1: shorter loads and fewer rounds, for development runs (the numbers are then rougher). */
export const QUICK = process.env.BENCH_QUICK === '1';

export const FAIR_ENV = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
export const AGENT_ARGS = ['--import', '@org/otel-agent'];
export const OFFICIAL_ARGS = ['--import', '@opentelemetry/auto-instrumentations-node/register'];
/** dd-trace as its docs load it for any app (CJS or ESM) on Node >= 20.6. */
export const DD_ARGS = ['--import', 'dd-trace/initialize.mjs'];
/**
 * dd-trace's reference rows trace and send traces only: everything else it could start (runtime metrics, profiling,
 * remote configuration, its own telemetry, appsec/IAST, dynamic instrumentation, data streams, crash tracking,
 * startup logs) is off. Traces go to bench/lib/dd-agent-sink.mjs in the v0.4 msgpack format (the default, set so
 * it cannot change under us). DD_TRACE_AGENT_URL is added per run.
 */
export const DD_ENV = {
  DD_TRACE_AGENT_PROTOCOL_VERSION: '0.4',
  DD_RUNTIME_METRICS_ENABLED: 'false',
  DD_PROFILING_ENABLED: 'false',
  DD_REMOTE_CONFIGURATION_ENABLED: 'false',
  DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
  DD_APPSEC_ENABLED: 'false',
  DD_IAST_ENABLED: 'false',
  DD_DYNAMIC_INSTRUMENTATION_ENABLED: 'false',
  DD_DATA_STREAMS_ENABLED: 'false',
  DD_CRASHTRACKING_ENABLED: 'false',
  DD_TRACE_STARTUP_LOGS: 'false',
};

export class BenchError extends Error {}
export function die(message) {
  throw new BenchError(message);
}

/** The parent's environment without tracing/Node settings (as test/helpers/run-app.ts does), plus `extra`. */
export function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(OTEL_|DD_|KAR_|NODE_OPTIONS$|TRACEPARENT$|TRACESTATE$|BAGGAGE$|VITEST|NODE_ENV$|BENCH_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * A temp app dir whose node_modules resolves both agents (and `links`, e.g. express) the way a user's
 * install would; `files` maps file names to contents, `copy` lists files of bench/apps to copy in.
 */
export function makeAppDir({ files = {}, copy = [], links = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-bench-'));
  fs.mkdirSync(path.join(dir, 'node_modules', '@org'), { recursive: true });
  snapshotAgent(path.join(dir, 'node_modules', '@org', 'otel-agent'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@opentelemetry'), path.join(dir, 'node_modules', '@opentelemetry'), 'dir');
  for (const name of links) fs.mkdirSync(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true });
  for (const name of links) fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name), 'dir');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  for (const name of copy) fs.copyFileSync(path.join(APPS, name), path.join(dir, name));
  return dir;
}

/**
 * The agent as installed: a copy of package.json and dist/ (taken when no build is under way: dist/ unchanged
 * during the copy), its dependencies through a node_modules link. Other people may rebuild dist/ while a
 * benchmark runs; every run of a benchmark then still loads the same build.
 */
function snapshotAgent(target) {
  for (let attempt = 0; ; attempt++) {
    const before = distStamp();
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(target, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(target, 'package.json'));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(target, 'dist'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(target, 'node_modules'), 'dir');
    if (distStamp() === before && Date.now() - before > 2000) return;
    if (attempt >= 30) die('dist/ keeps changing (a build under way?); run again later');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  }
}

/**
 * Runs `node <args>` in `cwd` and collects its output; SIGKILLs it after `timeoutMs` (timedOut: true).
 * `onStdout(text, child)` sees output as it arrives; `onExit` timestamps (epoch ms, sub-ms) are taken at 'exit'.
 */
/** taskset's path, when the machine has it and more than one core (else runs are not pinned). */
export const TASKSET = os.availableParallelism() > 1 ? ['/usr/bin/taskset', '/bin/taskset'].find((f) => fs.existsSync(f)) : undefined;

export function runNode(args, { cwd, env, timeoutMs, onStdout, stdin = 'ignore', cpus }) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    // `cpus` (e.g. '0'): pin the process with taskset where it exists, so a server and its load generator do not
    // trade cores with each other from run to run.
    const [file, argv] = cpus !== undefined && TASKSET ? [TASKSET, ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(file, argv, { cwd, env, stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let exitAt;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutMs);
    child.on('error', (err) => (clearTimeout(timer), reject(err)));
    child.on('exit', () => (exitAt = epochMs()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ wallMs, code, signal, stdout, stderr, timedOut, exitAt, pid: child.pid });
    });
  });
}

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes on one machine. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** Reads and removes the usage reporter's file (bench/usage-reporter.cjs). */
export function readUsage(file) {
  if (!fs.existsSync(file)) return undefined;
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file, { force: true });
  return report;
}
export const cpuMs = (report) => (report.usage.userCPUTime + report.usage.systemCPUTime) / 1000;
export const rssMiB = (report) => report.usage.maxRSS / 1024;

/**
 * The agent's loss line at exit ("[otel-agent] warning: spans lost for <dest>: N dropped because the queue
 * was full (...); ...; M delivered"), summed over destinations. No line means nothing was lost: reported: false.
 */
export function parseLossLine(stderr) {
  const out = { reported: false, dropped: 0, queueFull: 0, refused: 0, undelivered: 0, delivered: undefined, lines: [] };
  for (const line of stderr.split('\n')) {
    const m = /^\[otel-agent\] warning: spans lost for (.+?): (.*)$/.exec(line);
    if (!m) continue;
    out.reported = true;
    out.lines.push(line);
    const num = (re) => Number(re.exec(m[2])?.[1] ?? 0);
    out.queueFull += num(/(\d+) dropped because the queue was full/);
    out.refused += num(/(\d+) not accepted by/);
    out.undelivered += num(/(\d+) undelivered when the process ended/);
    const d = /(\d+) delivered$/.exec(m[2]);
    if (d) out.delivered = (out.delivered ?? 0) + Number(d[1]);
  }
  out.dropped = out.queueFull + out.refused + out.undelivered;
  return out;
}

/** The agent's reasons, summed over runs: queue full / refused / undelivered at exit. */
export function reasons(rs) {
  const sum = (key) => rs.reduce((n, r) => n + r.loss[key], 0);
  const parts = [['queue full', 'queueFull'], ['not accepted', 'refused'], ['undelivered at exit', 'undelivered']]
    .filter(([, key]) => sum(key) > 0)
    .map(([label, key]) => `${label} ${int(sum(key))}`);
  return parts.length ? parts.join(', ') : 'none';
}

export const sorted = (xs) => [...xs].sort((a, b) => a - b);
export const median = (xs) => {
  if (xs.length === 0) return undefined;
  const s = sorted(xs), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const p90 = (xs) => sorted(xs)[Math.ceil(0.9 * xs.length) - 1];
/** Fixed-point number, '–' when undefined. */
export const fmt = (x, digits = 1, sign = false) => (x === undefined || Number.isNaN(x) ? '–' : `${sign && x >= 0 ? '+' : ''}${x.toFixed(digits)}`);
/** Integer with thin grouping: 12 345. */
export const int = (x) => (x === undefined || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US').replace(/,/g, ' '));

/** A Markdown table from a header row and rows (arrays of cells). */
export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machine() {
  const cpu = os.cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`;
}

/** The lines every section starts with: date, machine, Node, load on the machine when the run started. */
export function runHeader() {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  return [
    `- Date: ${new Date().toISOString()}${QUICK ? ' (BENCH_QUICK=1: short development run, rough numbers)' : ''}`,
    `- Machine: ${machine()}; load average at the start ${load} (1 / 5 / 15 min)`,
    `- Node: ${process.version} (\`${process.execPath}\`)`,
  ].join('\n');
}

/** Replaces (or appends) the section between `<!-- name:begin -->` and `<!-- name:end -->` in RESULTS (see resultsPath). */
export function writeResults(name, section) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${section.trim()}\n${end}`;
  const old = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '# Benchmarks\n';
  const [i, j] = [old.indexOf(begin), old.indexOf(end)];
  const next = i >= 0 && j > i ? old.slice(0, i) + block + old.slice(j + end.length) : `${old.trimEnd()}\n\n${block}\n`;
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, next);
}

/** Newest mtime under dist/, to notice a build that lands mid-run (the rows would then mix two builds). */
export const distStamp = () => Math.max(...fs.readdirSync(path.join(ROOT, 'dist'), { recursive: true }).map((f) => fs.statSync(path.join(ROOT, 'dist', f)).mtimeMs));

export function requireDist() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'register.js'))) die('dist/register.js is missing: run `npm run build` first');
  return distStamp();
}
/** The benchmarks load a snapshot of dist/ (makeAppDir): a build during the run only gets a note. */
export function checkDist(stamp) {
  if (distStamp() !== stamp) console.error('note: dist/ changed during the run; every run used the copy taken at the start');
}

/** Shell-like text of a command for RESULTS.md. */
export const commandText = (env, args) => [...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'node', ...args].join(' ');

/** Runs `main`, printing a BenchError without a stack; sets the exit code on failure. */
export async function runMain(name, main) {
  const started = Date.now();
  try {
    await main();
    console.error(`bench/${name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (err) {
    console.error(`\nbench/${name}: ${err instanceof BenchError ? err.message : err.stack}`);
    process.exitCode = 1;
  }
}

/** A progress line: rewritten in place on a terminal, one line each otherwise. */
export const progress = (text) => process.stderr.write(process.stderr.isTTY ? `\r${text.padEnd(100)}` : `${text}\n`);
export const progressDone = () => process.stderr.isTTY && process.stderr.write('\n');

/**
 * The rows of a development run: BENCH_BASELINE_AGENT=<another build's dist/register.js> adds that build as the row
 * `agent (baseline build)` (`baseline` gives its other fields), for before/after comparisons in one run;
 * BENCH_VARIANTS='agent;agent (baseline build)' keeps only the rows named (separated by ';', as names hold commas),
 * and those in `always`.
 */
export function chooseVariants(variants, baseline, always = []) {
  const out = [...variants];
  if (process.env.BENCH_BASELINE_AGENT) out.push({ name: 'agent (baseline build)', args: ['--import', process.env.BENCH_BASELINE_AGENT], ...baseline });
  if (!process.env.BENCH_VARIANTS) return out;
  const keep = new Set([...always, ...process.env.BENCH_VARIANTS.split(';')]);
  return out.filter((v) => keep.has(v.name));
}
