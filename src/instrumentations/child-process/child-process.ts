// Spans for child processes: spawn, execFile (and so exec), fork, spawnSync, execSync, execFileSync
// and the promisified forms, with trace context passed to the child in its environment.
import { context, propagation, trace, SpanKind, SpanStatusCode, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { errorMonitor } from 'node:events';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { absolutePath, workingDirectory } from '../../runtime/environment';
import { injectIntoEnvironment } from '../../context/process-context';
import { EXIT_SENDER_FILE } from '../../runtime/agent-files';
import { capArgs, executableBaseName, isShell, MAX_COMMAND_BYTES, redactCommand, shellScriptIndex, simpleCommandOf } from '../../redaction/index';
import { applyRules, type RuleMatch } from './command-rules';
import {
  ATTR_CHILD_PROCESS_FUNCTION,
  ATTR_ERROR_TYPE,
  ATTR_PROCESS_ARGS_COUNT,
  ATTR_PROCESS_COMMAND,
  ATTR_PROCESS_COMMAND_ARGS,
  ATTR_PROCESS_COMMAND_ARGS_TRUNCATED,
  ATTR_PROCESS_EXECUTABLE_NAME,
  ATTR_PROCESS_EXECUTABLE_PATH,
  ATTR_PROCESS_EXIT_CODE,
  ATTR_PROCESS_EXIT_SIGNAL,
  ATTR_PROCESS_PID,
  ATTR_PROCESS_WORKING_DIRECTORY,
  WRAPPED_FUNCTIONS,
  type AnyFunction,
  type ChildProcessModule,
  type CommandDescription,
  type ObservedChild,
  type WrappedFunction,
} from './internal-types';
import { recognizeCommand } from './known-commands';
import type { ChildProcessInstrumentationConfig } from './types';

const VERSION = '0.1.0';
export const DEFAULT_MAX_COMMAND_LENGTH = MAX_COMMAND_BYTES;
/** The agent's own sender process at exit (src/lifecycle.ts) is not traced. */
const AGENT_EXIT_SENDER = EXIT_SENDER_FILE;

type Options = Record<string, unknown>;

/** Where the options object of a call is, and how to put a copy there. */
interface Located {
  file: unknown;
  fileArgs: unknown;
  options: Options | undefined;
  /** The call's arguments with `copy` as the options; undefined when they cannot be rewritten safely. */
  rewrite?: (copy: Options) => unknown[];
}

const isOptionsObject = (v: unknown): v is Options => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Finds the options argument the way Node's own argument normalization does, for each function.
 * Arguments Node would reject are left untouched (Node then throws exactly as without the agent).
 */
function locate(fn: WrappedFunction, raw: readonly unknown[]): Located {
  const file = raw[0];
  const a1 = raw[1];
  const replaceAt = (i: number) => (copy: Options) => {
    const out = [...raw];
    while (out.length < i) out.push(undefined);
    out[i] = copy;
    return out;
  };
  if (fn === 'execSync') {
    // execSync(command, options?): options is spread by Node, so null/undefined are "none".
    if (isOptionsObject(a1)) return { file, fileArgs: [], options: a1, rewrite: replaceAt(1) };
    if (a1 == null) return { file, fileArgs: [], options: undefined, rewrite: replaceAt(1) };
    return { file, fileArgs: [], options: undefined };
  }
  // null options are accepted by execFile/execFileSync/fork, rejected by spawn/spawnSync.
  const nullOk = fn !== 'spawn' && fn !== 'spawnSync';
  if (Array.isArray(a1) || a1 == null) {
    const a2 = raw[2];
    if (isOptionsObject(a2)) return { file, fileArgs: a1, options: a2, rewrite: replaceAt(2) };
    if (a2 === undefined || (a2 === null && nullOk)) return { file, fileArgs: a1, options: undefined, rewrite: replaceAt(2) };
    if (fn === 'execFile' && typeof a2 === 'function') {
      // execFile(file, args, callback): Node takes the function as the callback and ignores raw[3].
      return { file, fileArgs: a1, options: undefined, rewrite: (copy) => [file, a1, copy, a2] };
    }
    return { file, fileArgs: a1, options: undefined };
  }
  if (isOptionsObject(a1)) return { file, fileArgs: [], options: a1, rewrite: replaceAt(1) };
  if (fn === 'execFile' && typeof a1 === 'function') {
    // execFile(file, callback)
    return { file, fileArgs: [], options: undefined, rewrite: (copy) => [file, [], copy, a1] };
  }
  return { file, fileArgs: [], options: undefined };
}

/** What runs: the executable, its argv, cwd and base environment, as Node will start it. */
function describeCommand(fn: WrappedFunction, located: Located): CommandDescription {
  const options = located.options ?? {};
  const cwdOption = options.cwd;
  // Undefined when the program's working directory was deleted (the child then starts in it all the same).
  const cwd = cwdOption == null || cwdOption === '' ? workingDirectory() : cwdOption instanceof URL ? fileURLToPath(cwdOption) : absolutePath(String(cwdOption), workingDirectory());
  const env = ((options.env as NodeJS.ProcessEnv | undefined) || process.env) as NodeJS.ProcessEnv;
  const file = String(located.file);
  const fileArgs = Array.isArray(located.fileArgs) ? located.fileArgs.map(String) : [];
  const argv0 = typeof options.argv0 === 'string' ? options.argv0 : undefined;
  if (fn === 'fork') {
    const executable = (options.execPath as string | undefined) || process.execPath;
    const execArgv = (options.execArgv as string[] | undefined) || process.execArgv;
    return { executable, args: [...execArgv.map(String), file, ...fileArgs], argv0: executable, cwd, env, modulePath: file };
  }
  const shell = fn === 'execSync' ? (typeof options.shell === 'string' ? options.shell : true) : options.shell;
  if (shell) {
    const command = fileArgs.length > 0 ? `${file} ${fileArgs.join(' ')}` : file;
    if (process.platform === 'win32') {
      const executable = typeof shell === 'string' ? shell : process.env.comspec || 'cmd.exe';
      const cmd = /^(?:.*\\)?cmd(?:\.exe)?$/i.test(executable);
      return { executable, args: cmd ? ['/d', '/s', '/c', `"${command}"`] : ['-c', command], argv0: argv0 ?? executable, cwd, env };
    }
    const executable = typeof shell === 'string' ? shell : '/bin/sh';
    return { executable, args: ['-c', command], argv0: argv0 ?? executable, cwd, env };
  }
  return { executable: file, args: fileArgs, argv0: argv0 ?? file, cwd, env };
}

/** A prototype-preserving copy of the caller's options with another `env`; the caller's object is never changed. */
function copyOptions(options: Options | undefined, env: NodeJS.ProcessEnv): Options {
  if (!options) return { env };
  const descriptors = Object.getOwnPropertyDescriptors(options);
  // A frozen options object gives a copy that is not (the copy's env must be settable).
  for (const d of Object.values(descriptors)) {
    d.configurable = true;
    if ('value' in d) d.writable = true;
  }
  const copy = Object.create(Object.getPrototypeOf(options), descriptors) as Options;
  Object.defineProperty(copy, 'env', { value: env, writable: true, enumerable: true, configurable: true });
  return copy;
}

/** A copy of `base` (inherited properties too, as Node reads them) with the span's context in it. */
function environmentWithContext(base: NodeJS.ProcessEnv, ctx: Context): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Node builds the child's environment with for...in ("prototype values are intentionally included").
  for (const key in base) env[key] = base[key];
  // The process-span name names the process started with it, not its children (they name theirs after their program).
  injectIntoEnvironment(env, ctx, propagation, ['OTEL_AGENT_PROCESS_SPAN_NAME']);
  return env;
}

/** How a child ended: exit code, signal, or an error (spawn failure, sync timeout, ...). */
interface Outcome {
  code?: number | null;
  signal?: string | null;
  error?: { code?: unknown; name?: unknown; message?: unknown; syscall?: unknown };
}

/** One child process's span, from the call to the child's end. */
class ProcessSpan {
  private ended = false;
  constructor(
    readonly span: Span,
    private readonly executableName: string,
    private readonly rule: RuleMatch | undefined,
  ) {}

  setPid(pid: unknown): void {
    if (typeof pid === 'number' && pid > 0) this.span.setAttribute(ATTR_PROCESS_PID, pid);
  }

  /** Watches an async child: ends on 'exit', or on the error of a spawn that failed (no 'exit' follows). */
  observe(child: ObservedChild | undefined): void {
    if (!child || typeof child.once !== 'function') return this.end({});
    this.setPid(child.pid);
    let laterError: Outcome['error'];
    // errorMonitor: sees 'error' without handling it, so an unhandled error still crashes as before.
    child.on(errorMonitor, (err: Outcome['error']) => {
      if (child.pid === undefined) this.end({ error: err });
      else {
        laterError ??= err;
        this.recordError(err, false);
      }
    });
    child.once('exit', (code: number | null, signal: string | null) => this.end({ code, signal, error: laterError }));
  }

  private recordError(err: Outcome['error'], spawnFailure: boolean): void {
    if (!err) return;
    const code = typeof err.code === 'string' ? err.code : undefined;
    const type = typeof err.name === 'string' && err.name ? err.name : 'Error';
    // Node's own messages can carry the command line (`Command failed: ...`, `spawn <file> ENOENT`):
    // the event names only the executable and the error code.
    const syscall = typeof err.syscall === 'string' ? err.syscall.split(' ')[0] : 'spawn';
    const message = spawnFailure ? `${syscall} ${this.executableName} ${code ?? type}` : (code ?? type);
    this.span.addEvent('exception', { 'exception.type': type, 'exception.message': message });
  }

  end(outcome: Outcome): void {
    if (this.ended) return;
    this.ended = true;
    try {
      const { code, signal, error } = outcome;
      const errorCode = error && typeof error.code === 'string' ? error.code : undefined;
      const spawnFailed = error !== undefined && code == null && signal == null;
      if (spawnFailed) this.recordError(error, typeof error.syscall === 'string' && error.syscall.startsWith('spawn'));
      if (typeof code === 'number') this.span.setAttribute(ATTR_PROCESS_EXIT_CODE, code);
      if (signal) this.span.setAttribute(ATTR_PROCESS_EXIT_SIGNAL, signal);
      const ok = (c: number) => (this.rule?.okExitCodes ?? [0]).includes(c);
      const failed = spawnFailed || Boolean(signal) || (typeof code === 'number' && !ok(code)) || (errorCode !== undefined && code !== 0);
      for (const [attribute, codes] of Object.entries(this.rule?.exitCodeAttributes ?? {})) {
        if (typeof code === 'number') this.span.setAttribute(attribute, codes.includes(code));
      }
      let description: string | undefined;
      if (failed) {
        const type = errorCode ?? signal ?? (typeof code === 'number' ? String(code) : error && typeof error.name === 'string' ? error.name : 'Error');
        description = spawnFailed ? `spawn error ${type}` : errorCode ? `${errorCode}${signal ? ` (signal ${signal})` : ''}` : signal ? `signal ${signal}` : `exit code ${code}`;
        this.span.setAttribute(ATTR_ERROR_TYPE, type);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: description });
      }
      if (this.rule?.successAttribute) this.span.setAttribute(this.rule.successAttribute, !failed);
      if (this.rule?.errorAttribute && failed && description) this.span.setAttribute(this.rule.errorAttribute, description);
    } finally {
      this.span.end();
    }
  }
}

interface StartedCall {
  processSpan: ProcessSpan;
  args: unknown[];
}

export class ChildProcessInstrumentation extends InstrumentationBase<ChildProcessInstrumentationConfig> {
  constructor(config: ChildProcessInstrumentationConfig = {}) {
    super('@org/otel-agent/instrumentation-child-process', VERSION, config);
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        'child_process',
        ['*'],
        (moduleExports: ChildProcessModule) => {
          for (const fn of WRAPPED_FUNCTIONS) {
            if (isWrapped(moduleExports[fn])) this._unwrap(moduleExports, fn);
            this._wrap(moduleExports, fn, ((original: AnyFunction) => this.wrapFunction(fn, original)) as never);
          }
          return moduleExports;
        },
        (moduleExports: ChildProcessModule) => {
          for (const fn of WRAPPED_FUNCTIONS) if (isWrapped(moduleExports[fn])) this._unwrap(moduleExports, fn);
        },
      ),
    ];
  }

  private wrapFunction(fn: WrappedFunction, original: AnyFunction): AnyFunction {
    const instrumentation = this;
    const sync = fn === 'spawnSync' || fn === 'execSync' || fn === 'execFileSync';
    const wrapped = function (this: unknown, ...raw: unknown[]): unknown {
      const call = instrumentation.startCall(fn, raw);
      if (!call) return original.apply(this, raw);
      let result: unknown;
      try {
        result = original.apply(this, call.args);
      } catch (err) {
        // Thrown before a child ran (bad arguments, EINVAL...) or by the sync variants (non-zero exit, ENOENT, timeout).
        instrumentation.safely(() => {
          const e = err as Record<string, unknown>;
          call.processSpan.setPid(e?.pid);
          call.processSpan.end({ code: e?.status as number | null | undefined, signal: e?.signal as string | null | undefined, error: e });
        });
        throw err;
      }
      instrumentation.safely(() => {
        if (!sync) return call.processSpan.observe(result as ObservedChild);
        if (fn === 'spawnSync') {
          const r = result as { pid?: number; status: number | null; signal: string | null; error?: Outcome['error'] };
          call.processSpan.setPid(r.pid);
          return call.processSpan.end({ code: r.status, signal: r.signal, error: r.error });
        }
        call.processSpan.end({ code: 0 }); // execSync/execFileSync return only on exit code 0
      });
      return result;
    };
    Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
    Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true });
    // promisify(execFile) (and so promisify(exec)) uses Node's own custom function, given rewritten
    // arguments: resolves { stdout, stderr }, rejects with the same error, and the promise keeps `.child`.
    const custom = (original as { [promisify.custom]?: AnyFunction })[promisify.custom];
    if (typeof custom === 'function') {
      const wrappedCustom = function (this: unknown, ...raw: unknown[]): unknown {
        const call = instrumentation.startCall(fn, raw);
        if (!call) return custom.apply(this, raw);
        let promise: { child?: ObservedChild };
        try {
          promise = custom.apply(this, call.args) as { child?: ObservedChild };
        } catch (err) {
          instrumentation.safely(() => call.processSpan.end({ error: err as Outcome['error'] }));
          throw err;
        }
        instrumentation.safely(() => call.processSpan.observe(promise?.child));
        return promise;
      };
      Object.defineProperty(wrappedCustom, 'name', { value: custom.name, configurable: true });
      Object.defineProperty(wrapped, promisify.custom, { value: wrappedCustom, enumerable: false, writable: true, configurable: true });
    }
    return wrapped;
  }

  private safely(work: () => void): void {
    try {
      work();
    } catch (err) {
      this._diag.error('child_process instrumentation failed; the call is unaffected', err);
    }
  }

  /** Starts the span and prepares the call's arguments; undefined when the call is not traced. */
  private startCall(fn: WrappedFunction, raw: unknown[]): StartedCall | undefined {
    try {
      const parent = context.active();
      if (isTracingSuppressed(parent)) return undefined;
      const config = this.getConfig();
      if (config.requireParentSpan && !trace.getSpan(parent)) return undefined;
      const located = locate(fn, raw);
      if (typeof located.file !== 'string') return undefined; // Node throws ERR_INVALID_ARG_TYPE; nothing ran
      const command = describeCommand(fn, located);
      if (command.args[0] === AGENT_EXIT_SENDER) return undefined;
      const { name, attributes, rule } = this.spanNameAndAttributes(fn, command, config);
      const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
      const processSpan = new ProcessSpan(span, attributes[ATTR_PROCESS_EXECUTABLE_NAME] as string, rule);
      let args = raw;
      if (config.propagateContext !== false && located.rewrite) {
        try {
          args = located.rewrite(copyOptions(located.options, environmentWithContext(command.env, trace.setSpan(parent, span))));
        } catch (err) {
          this._diag.warn('child_process: could not pass the trace context to the child', err);
          args = raw;
        }
      }
      return { processSpan, args };
    } catch (err) {
      this._diag.error('child_process instrumentation failed before the call; the call is not traced', err);
      return undefined;
    }
  }

  private spanNameAndAttributes(fn: WrappedFunction, command: CommandDescription, config: ChildProcessInstrumentationConfig) {
    const redact = config.redaction !== 'off';
    const extraFlags = config.redactFlags ?? [];
    const executableName = executableBaseName(command.executable);
    const redactedArgs = redact ? redactCommand(command.executable, command.args, extraFlags) : [...command.args];
    const maxBytes = config.maxCommandLength !== undefined && config.maxCommandLength >= 0 ? config.maxCommandLength : DEFAULT_MAX_COMMAND_LENGTH;
    const capped = capArgs([command.argv0, ...redactedArgs], maxBytes);

    // The command that actually does the work: a shell's one simple command (`sh -c 'make -C x'` -> make).
    let effective = [executableName, ...redactedArgs];
    if (isShell(command.executable)) {
      const at = shellScriptIndex(command.args);
      const simple = at >= 0 ? simpleCommandOf(command.args[at]) : undefined;
      if (simple) effective = [executableBaseName(simple[0]), ...(redact ? redactCommand(simple[0], simple.slice(1), extraFlags) : simple.slice(1))];
    }
    const attributes: Attributes = {
      [ATTR_PROCESS_EXECUTABLE_NAME]: executableName,
      [ATTR_PROCESS_COMMAND]: command.argv0,
      [ATTR_PROCESS_COMMAND_ARGS]: capped.args,
      [ATTR_PROCESS_ARGS_COUNT]: command.args.length + 1,
      ...(command.cwd !== undefined ? { [ATTR_PROCESS_WORKING_DIRECTORY]: command.cwd } : {}),
      [ATTR_CHILD_PROCESS_FUNCTION]: fn,
    };
    if (/[\\/]/.test(command.executable)) {
      const executablePath = absolutePath(command.executable, command.cwd);
      if (executablePath !== undefined) attributes[ATTR_PROCESS_EXECUTABLE_PATH] = executablePath;
    }
    if (capped.truncated) attributes[ATTR_PROCESS_COMMAND_ARGS_TRUNCATED] = true;

    let name = fn === 'fork' && command.modulePath ? `${executableName} ${path.basename(command.modulePath)}` : effective[0];
    if (config.recognizeCommands !== false) {
      const known = recognizeCommand(effective);
      if (known) {
        name = known.name;
        Object.assign(attributes, known.attributes);
      }
    }
    const rule = applyRules(config.rules, effective.join(' '));
    if (rule) {
      name = rule.name;
      Object.assign(attributes, rule.attributes);
    }
    return { name: name || executableName || 'child_process', attributes, rule };
  }
}
