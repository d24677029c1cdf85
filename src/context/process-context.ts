// Context across processes: the trace context a process inherits in TRACEPARENT, and the span of the whole process.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type ContextManager, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import * as path from 'node:path';
import { showValue } from '../config/env-reader';
import { workingDirectory } from '../runtime/environment';
import { capArgs, MAX_COMMAND_BYTES, redactArgs, secretFlagsFor } from '../redaction/index';

/** The W3C keys, upper-cased (the environment carrier). */
const W3C_ENV_KEYS = ['TRACEPARENT', 'TRACESTATE', 'BAGGAGE'];

/** `traceparent` -> `TRACEPARENT`; `x-b3-traceid` -> `X_B3_TRACEID` (the environment carrier's names). */
const toEnvName = (key: string) => key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/**
 * Puts `ctx` into `env` (changed in place) for a process about to start: the inherited W3C keys, the
 * propagator's own keys and `alsoRemove` are dropped first, so inherited values are replaced, never mixed
 * with the new ones.
 */
export function injectIntoEnvironment(env: NodeJS.ProcessEnv, ctx: Context, propagator: Pick<TextMapPropagator, 'inject' | 'fields'>, alsoRemove: readonly string[] = []): void {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  for (const key of [...W3C_ENV_KEYS, ...propagator.fields().map(toEnvName), ...alsoRemove]) delete env[key];
  for (const [key, value] of Object.entries(carrier)) env[toEnvName(key)] = value;
}

export interface InheritedContext {
  /** The parent of the process's spans, when a valid TRACEPARENT (or BAGGAGE) was inherited. */
  context?: Context;
  /** Set when TRACEPARENT was present but invalid. */
  warning?: string;
}

/** Reads TRACEPARENT, TRACESTATE and BAGGAGE (the W3C keys, upper-cased: the environment carrier spec). */
export function readInheritedContext(env: NodeJS.ProcessEnv): InheritedContext {
  const traceparent = env.TRACEPARENT?.trim();
  const baggage = env.BAGGAGE?.trim();
  if (!traceparent && !baggage) return {};
  const { W3CTraceContextPropagator, W3CBaggagePropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const carrier: Record<string, string | undefined> = { traceparent, tracestate: env.TRACESTATE?.trim(), baggage };
  let ctx = ROOT_CONTEXT;
  let warning: string | undefined;
  if (traceparent) {
    ctx = new W3CTraceContextPropagator().extract(ctx, carrier, defaultTextMapGetter);
    if (!trace.getSpanContext(ctx)) warning = `TRACEPARENT="${showValue(traceparent)}" is not a valid W3C traceparent; it is ignored`;
  }
  if (baggage) ctx = new W3CBaggagePropagator().extract(ctx, carrier, defaultTextMapGetter);
  return { context: ctx === ROOT_CONTEXT ? undefined : ctx, warning };
}

/**
 * The async-local-storage context manager, except that "no active context" means the process's base
 * context (the inherited parent, or the process span) instead of the empty root. Spans a program
 * starts on its own thus join the inherited trace; an incoming request still starts its own trace,
 * because server instrumentations extract from the request into the empty root explicitly.
 */
export function createContextManager(base: () => Context): ContextManager {
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  class BaseContextManager extends AsyncLocalStorageContextManager {
    override active(): Context {
      const active = super.active();
      return active === ROOT_CONTEXT ? base() : active;
    }
  }
  return new BaseContextManager().enable();
}

/** The span covering the whole run, named after the program, with its exit code or crash. */
export class ProcessSpan {
  private ended = false;

  private constructor(readonly span: Span) {}

  static start(tracer: Tracer, parent: Context, name: string | undefined): ProcessSpan {
    const script = process.argv[1];
    const secretFlags = script ? secretFlagsFor(script) : [];
    const cwd = workingDirectory();
    const commandArgs = capArgs([process.argv0, ...(script ? [script] : []), ...redactArgs(process.argv.slice(2), secretFlags)], MAX_COMMAND_BYTES).args;
    const span = tracer.startSpan(
      name ?? (script ? path.basename(script) : 'node'),
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'process.pid': process.pid,
          'process.executable.name': path.basename(process.execPath),
          'process.executable.path': process.execPath,
          ...(script ? { 'process.command': script } : {}),
          'process.command_args': commandArgs,
          'process.args_count': process.argv.length,
          // Left out when the directory was deleted under the process.
          ...(cwd !== undefined ? { 'process.working_directory': cwd } : {}),
        },
      },
      parent,
    );
    return new ProcessSpan(span);
  }

  recordCrash(err: unknown): void {
    if (this.ended) return;
    this.span.recordException(err instanceof Error ? err : String(err));
  }

  /** Ends the span with the exit code (or the terminating signal); error status unless 0. */
  end(outcome: { exitCode?: number; signal?: string }): void {
    if (this.ended) return;
    this.ended = true;
    const { exitCode, signal } = outcome;
    if (signal !== undefined) {
      this.span.setAttribute('process.exit.signal', signal);
      this.span.setAttribute('error.type', signal);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: `terminated by ${signal}` });
    } else {
      const code = exitCode ?? 0;
      this.span.setAttribute('process.exit.code', code);
      if (code !== 0) {
        this.span.setAttribute('error.type', String(code));
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${code}` });
      }
    }
    this.span.end();
  }
}
