// The span of the command `otel-agent run` starts: the root of the run's one trace, passed down to the command in its environment (TRACEPARENT, or the configured propagators' fields).
import { SpanKind, SpanStatusCode, trace, ROOT_CONTEXT, type Attributes, type Context, type Span } from '@opentelemetry/api';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig, type AgentConfig } from '../../config';
import { readAppPackage } from '../../runtime/environment';
import { recognizeCommand } from '../../instrumentations/child-process/known-commands';
import { INSTRUMENTATIONS } from '../../instrumentations/registry';
import { Lifecycle } from '../../lifecycle/lifecycle';
import { setLogLevel, warn } from '../../runtime/logging';
import { injectIntoEnvironment, readInheritedContext } from '../../context/process-context';
import { capArgs, executableBaseName, MAX_COMMAND_BYTES, redactCommand } from '../../redaction/index';
import { buildResource, type AppPackage } from '../../sdk/resource';
import { createPropagator } from '../../sdk/propagator';
import { createTracePipeline, type TracePipeline } from '../../sdk/tracer-provider';

/** How the command ended. */
export interface CommandOutcome {
  exitCode?: number;
  signal?: string;
  /** The command could not be started (ENOENT, EACCES...). */
  spawnError?: string;
}

export interface CommandSpan {
  /** The command's environment: the one given, with this span's context in the configured propagators' fields (TRACEPARENT, B3...). */
  readonly env: NodeJS.ProcessEnv;
  /** Ends the span with the outcome and delivers it (bounded by OTEL_AGENT_FLUSH_TIMEOUT). */
  end(outcome: CommandOutcome): Promise<void>;
}

/** `npm install x` -> `npm install`; `make test` -> `make test`; a path or a flag after the program is not part of the name. */
export function commandSpanName(command: string, redactedArgs: readonly string[]): string {
  const known = recognizeCommand([command, ...redactedArgs]);
  if (known) return known.name;
  const program = executableBaseName(command);
  const first = redactedArgs[0];
  return first !== undefined && /^[a-z][a-z0-9_:-]*$/i.test(first) ? `${program} ${first}` : program;
}

/** The command's file as the OS finds it: on PATH unless it names a path. */
export function resolveExecutable(command: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): string | undefined {
  if (command.includes('/') || command.includes(path.sep)) return path.resolve(cwd, command);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(cwd, dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: next directory.
    }
  }
  return undefined;
}

/**
 * The default service.name and version of the command's span: the package of the command's real file
 * (`npm` -> /usr/lib/node_modules/npm -> `npm`), else the program's name (`make`).
 */
export function commandPackage(command: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): AppPackage {
  const file = resolveExecutable(command, env, cwd);
  const found = file ? readAppPackage(file, cwd) : {};
  return found.name ? found : { name: executableBaseName(command) };
}

/** Reads the command's configuration; undefined when it produces no traces (off, or no trace exporter). */
function tracingConfig(env: NodeJS.ProcessEnv): AgentConfig | undefined {
  // Configuration warnings are left to the agent in the command's Node processes, which print them once each.
  const { config } = resolveConfig(env, { knownInstrumentations: INSTRUMENTATIONS });
  return config.enabled && config.traceExporters.length > 0 ? config : undefined;
}

/** Starts the command's span; undefined (the environment is then used as is) when tracing is off. */
export function startCommandSpan(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): CommandSpan | undefined {
  const config = tracingConfig(env);
  if (!config) return undefined;
  setLogLevel(config.logLevel);
  const inherited = readInheritedContext(env, config.propagators);
  if (inherited.warning) warn(inherited.warning);

  // The process detector would describe this launcher, not the command: the span's own attributes do that.
  const resource = buildResource({ ...config, resourceDetectors: config.resourceDetectors.filter((d) => d !== 'process') }, commandPackage(command, env, cwd));
  const pipeline = createTracePipeline(config, resource);
  const lifecycle = new Lifecycle(() => pipeline, config.flushTimeoutMillis);

  const redacted = config.redaction.enabled ? redactCommand(command, args, config.redaction.extraFlags) : [...args];
  const capped = capArgs([command, ...redacted], MAX_COMMAND_BYTES);
  const attributes: Attributes = {
    'process.executable.name': executableBaseName(command),
    'process.command': command,
    'process.command_args': capped.args,
    'process.args_count': args.length + 1,
    'process.working_directory': cwd,
    ...(recognizeCommand([command, ...redacted])?.attributes ?? {}),
  };
  if (capped.truncated) attributes['process.command_args_truncated'] = true;
  const executable = resolveExecutable(command, env, cwd);
  if (executable) attributes['process.executable.path'] = executable;
  const parent = inherited.context ?? ROOT_CONTEXT;
  const span = pipeline.provider.getTracer('@org/otel-agent').startSpan(commandSpanName(command, redacted), { kind: SpanKind.INTERNAL, attributes }, parent);
  let ended: Promise<void> | undefined;
  return { env: environmentWithSpan(env, config, trace.setSpan(parent, span)), end: (outcome) => (ended ??= endCommandSpan(span, outcome, pipeline, lifecycle)) };
}

function environmentWithSpan(env: NodeJS.ProcessEnv, config: AgentConfig, ctx: Context): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  injectIntoEnvironment(out, ctx, createPropagator(config.propagators));
  return out;
}

async function endCommandSpan(span: Span, outcome: CommandOutcome, pipeline: TracePipeline, lifecycle: Lifecycle): Promise<void> {
  const { exitCode, signal, spawnError } = outcome;
  if (spawnError !== undefined) {
    span.setAttribute('error.type', spawnError);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `cannot run the command: ${spawnError}` });
  }
  if (signal !== undefined) {
    span.setAttribute('process.exit.signal', signal);
    span.setAttribute('error.type', signal);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `terminated by ${signal}` });
  } else if (exitCode !== undefined) {
    span.setAttribute('process.exit.code', exitCode);
    if (exitCode !== 0 && spawnError === undefined) {
      span.setAttribute('error.type', String(exitCode));
      span.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${exitCode}` });
    }
  }
  span.end();
  // This process ends next: the exporters may send from this thread, as the agent's final flush does.
  pipeline.destinations.forEach((d) => d.exporter.prepareFinalFlush());
  // Bounded by OTEL_AGENT_FLUSH_TIMEOUT; reports what was lost. An export still awaiting an answer
  // after that must not keep the launcher (and so whoever waits for the command) alive.
  await lifecycle.shutdown();
  pipeline.destinations.forEach((d) => d.exporter.release());
}
