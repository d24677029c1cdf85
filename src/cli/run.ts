// `otel-agent run [options] -- <command...>`: runs a command with the agent preloaded in every Node process it starts.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configurationWarningKey, describeError, setLogLevel, SHOWN_WARNINGS_VARIABLE, shownWarnings, warn } from '../runtime/logging';
import { parseArgs, stringOption, UsageError, type OptionSpec } from './args';
import type { CommandSpan } from './run/command-span';

export const RUN_USAGE = `Usage: otel-agent run [options] -- <command> [args...]

Runs <command> with the agent loaded into it and into every Node.js process it starts
(NODE_OPTIONS gets --import of this agent). Exit code and signals are passed through.
The run is one trace: a span for the command (e.g. "npm install"), passed to it in TRACEPARENT,
with every process, request and child process of the run below it.

Options (each sets the variable named, for the command only):
  --service-name <name>   OTEL_SERVICE_NAME
  --exporter <list>       OTEL_TRACES_EXPORTER (otlp, console, otlp/file, otlp/stdout, zipkin, none)
  --endpoint <url>        OTEL_EXPORTER_OTLP_ENDPOINT
  --protocol <p>          OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, http/json, grpc)
  --headers <k=v,...>     OTEL_EXPORTER_OTLP_HEADERS
  --file <path>           OTEL_EXPORTER_OTLP_TRACES_FILE (made absolute); selects file output
  --dir <path>            OTEL_EXPORTER_OTLP_TRACES_DIR (made absolute); one file per process
  --format <jsonl|kops>   OTEL_AGENT_TRACE_FILE_FORMAT
  --process-span          OTEL_AGENT_PROCESS_SPAN=on: a span for each whole process (the default under run)
  --config <file>         OTEL_CONFIG_FILE (made absolute): the file is the whole configuration,
                          the options above do not apply next to it
`;

const SPEC: OptionSpec = {
  'service-name': { type: 'string' },
  exporter: { type: 'string' },
  endpoint: { type: 'string' },
  protocol: { type: 'string' },
  headers: { type: 'string' },
  file: { type: 'string' },
  dir: { type: 'string' },
  format: { type: 'string' },
  'process-span': { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Signals a terminal or a supervisor sends to stop a program; the command gets them too. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** This package's preload entry, as a file URL: NODE_OPTIONS splits on spaces, and a URL has none. */
export function registerUrl(): string {
  return pathToFileURL(path.join(__dirname, '..', 'register.js')).href;
}

/** NODE_OPTIONS with the agent's --import added, unless it already loads the agent. */
export function withAgentPreload(nodeOptions: string | undefined, url = registerUrl()): string {
  const existing = (nodeOptions ?? '').trim();
  if (loadsAgent(existing, url)) return existing;
  return existing === '' ? `--import ${url}` : `${existing} --import ${url}`;
}

function loadsAgent(nodeOptions: string, url: string): boolean {
  const names = new Set([url, path.join(__dirname, '..', 'register.js'), '@org/otel-agent', '@org/otel-agent/register']);
  const tokens = nodeOptions.split(/\s+/).map((t) => t.replace(/^"(.*)"$/, '$1'));
  return tokens.some((token, i) => {
    const m = /^(--import|--require|-r)(?:=(.*))?$/.exec(token);
    if (!m) return false;
    const value = m[2] ?? tokens[i + 1];
    return value !== undefined && names.has(value);
  });
}

/** The command's environment: the caller's, plus the options as OTEL_* variables and the preload. */
export function commandEnv(parsed: ReturnType<typeof parseArgs>, env: NodeJS.ProcessEnv, cwd = process.cwd()): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  const set = (name: string, option: string, transform: (v: string) => string = (v) => v) => {
    const value = stringOption(parsed, option);
    if (value !== undefined) out[name] = transform(value);
  };
  set('OTEL_SERVICE_NAME', 'service-name');
  set('OTEL_TRACES_EXPORTER', 'exporter');
  set('OTEL_EXPORTER_OTLP_ENDPOINT', 'endpoint');
  set('OTEL_EXPORTER_OTLP_PROTOCOL', 'protocol');
  set('OTEL_EXPORTER_OTLP_HEADERS', 'headers');
  // Absolute: the processes of the tree may run in other directories.
  set('OTEL_EXPORTER_OTLP_TRACES_FILE', 'file', (v) => path.resolve(cwd, v));
  set('OTEL_EXPORTER_OTLP_TRACES_DIR', 'dir', (v) => path.resolve(cwd, v));
  set('OTEL_AGENT_TRACE_FILE_FORMAT', 'format');
  if (parsed.options['process-span']) out.OTEL_AGENT_PROCESS_SPAN = 'on';
  // --file means file output even when the caller's environment names other exporters.
  const file = stringOption(parsed, 'file') ?? stringOption(parsed, 'dir');
  if (file !== undefined && stringOption(parsed, 'exporter') === undefined) {
    out.OTEL_TRACES_EXPORTER = stringOption(parsed, 'endpoint') !== undefined ? 'otlp/file,otlp' : 'otlp/file';
  }
  // A configuration file, from --config or the caller's OTEL_CONFIG_FILE: absolute, as the trace files.
  const configFile = stringOption(parsed, 'config') ?? (env.OTEL_CONFIG_FILE?.trim() || undefined);
  if (configFile !== undefined) out.OTEL_CONFIG_FILE = path.resolve(cwd, configFile);
  out.NODE_OPTIONS = withAgentPreload(env.NODE_OPTIONS);
  return out;
}

/** Runs the command; resolves with the exit code, or re-raises the signal the command died of. */
export function run(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv, SPEC, true);
  if (parsed.options.help) {
    process.stdout.write(RUN_USAGE);
    return Promise.resolve(0);
  }
  if (parsed.positionals.length > 0 || parsed.rest.length === 0) throw new UsageError('run needs a command: otel-agent run [options] -- <command> [args...]');
  const [command, ...args] = parsed.rest;
  const configFile = stringOption(parsed, 'config') ?? process.env.OTEL_CONFIG_FILE?.trim();
  const ignored = Object.keys(SPEC).filter((name) => !['config', 'help'].includes(name) && parsed.options[name] !== undefined);
  if (configFile && ignored.length > 0) {
    process.stderr.write(`[otel-agent] warning: ${ignored.map((n) => `--${n}`).join(', ')} ignored: the configuration file ${configFile} is the whole configuration\n`);
  }
  const env = commandEnv(parsed, process.env);
  const shown = warnAboutConfiguration(parsed, env);
  // The agent in the command's Node processes leaves out what run printed: one warning per cause.
  if (shown !== undefined && shown.size > 0) env[SHOWN_WARNINGS_VARIABLE] = [...shown].join(',');
  const commandSpan = startCommandSpanSafely(command, args, env);
  const child = spawn(command, args, { stdio: 'inherit', env: commandSpan?.env ?? env });

  const forward = (signal: NodeJS.Signals) => {
    // Ctrl-C on a terminal already reaches the command (same foreground process group). Sending it
    // again would be a second SIGINT, which makes the agent in the command skip its flush at exit.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const removeHandlers = () => {
    for (const signal of FORWARDED) process.removeListener(signal, forward);
  };

  return new Promise((resolve) => {
    child.on('error', async (err: NodeJS.ErrnoException) => {
      removeHandlers();
      process.stderr.write(`otel-agent: cannot run ${command}: ${err.code === 'ENOENT' ? 'command not found' : err.message}\n`);
      // The shell's codes: 127 not found, 126 found but not executable.
      const code = err.code === 'ENOENT' ? 127 : 126;
      await endSafely(commandSpan, { exitCode: code, spawnError: err.code ?? 'Error' });
      resolve(code);
    });
    child.on('exit', async (code, signal) => {
      removeHandlers();
      // Delivered before we exit or re-raise the signal: the span is the trace's root.
      await endSafely(commandSpan, signal ? { signal } : { exitCode: code ?? 1 });
      if (signal) {
        // Die of the same signal, so whoever started us sees what they would have seen without us.
        process.kill(process.pid, signal);
        // Signals whose default is not to terminate (or that Node ignores) end here: 128+n as a shell does.
        resolve(128 + (os.constants.signals[signal] ?? 0));
        return;
      }
      resolve(code ?? 1);
    });
  });
}

/** The variable each option sets, to name the option in a warning about its value. */
const OPTION_VARIABLES: Record<string, string> = {
  'service-name': 'OTEL_SERVICE_NAME',
  exporter: 'OTEL_TRACES_EXPORTER',
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  headers: 'OTEL_EXPORTER_OTLP_HEADERS',
  file: 'OTEL_EXPORTER_OTLP_TRACES_FILE',
  dir: 'OTEL_EXPORTER_OTLP_TRACES_DIR',
  format: 'OTEL_AGENT_TRACE_FILE_FORMAT',
  config: 'OTEL_CONFIG_FILE',
};

/**
 * The configuration's warnings (a bad --protocol, an unknown exporter...), printed by run itself: a
 * command that starts no Node process (`true`, `make`, a shell script) would otherwise run with a
 * silently ignored setting. Returns the keys of the warnings shown so far (those an enclosing run
 * printed included), for OTEL_AGENT_SHOWN_WARNINGS: the agent in the command's Node processes then
 * does not print them again. Undefined when the configuration could not be checked (the agent warns then).
 */
function warnAboutConfiguration(parsed: ReturnType<typeof parseArgs>, env: NodeJS.ProcessEnv): Set<string> | undefined {
  try {
    const { resolveConfig } = require('../config') as typeof import('../config');
    const { INSTRUMENTATIONS } = require('../instrumentations/registry') as typeof import('../instrumentations/registry');
    const { config, warnings } = resolveConfig(env, { knownInstrumentations: INSTRUMENTATIONS });
    setLogLevel(config.logLevel);
    const shown = shownWarnings(env[SHOWN_WARNINGS_VARIABLE]);
    for (const warning of warnings) {
      const key = configurationWarningKey(warning);
      if (shown.has(key)) continue;
      shown.add(key);
      const option = Object.keys(OPTION_VARIABLES).find((o) => parsed.options[o] !== undefined && warning.includes(OPTION_VARIABLES[o]));
      warn(option !== undefined ? `${warning} (set by --${option})` : warning);
    }
    return shown;
  } catch (err) {
    warn(`could not check the configuration: ${describeError(err)}`);
    return undefined;
  }
}

/** The command's span, or none (with one warning) if it cannot be made: the command runs either way. */
function startCommandSpanSafely(command: string, args: string[], env: NodeJS.ProcessEnv): CommandSpan | undefined {
  try {
    return (require('./run/command-span') as typeof import('./run/command-span')).startCommandSpan(command, args, env);
  } catch (err) {
    warn(`no span for the command (its processes are still traced): ${describeError(err)}`);
    return undefined;
  }
}

async function endSafely(span: CommandSpan | undefined, outcome: import('./run/command-span').CommandOutcome): Promise<void> {
  try {
    await span?.end(outcome);
  } catch (err) {
    warn(`the command's span could not be delivered: ${describeError(err)}`);
  }
}
