// Context across processes: the trace context a process inherits in its environment (TRACEPARENT, B3...), and the span of the whole process.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type ContextManager, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import * as path from 'node:path';
import { showValue } from '../config/env-reader';
import { workingDirectory } from '../runtime/environment';
import { capArgs, MAX_COMMAND_BYTES, redactArgs, secretFlagsFor } from '../redaction/index';
import type { PropagatorName } from '../config';
import { createPropagator, EXTRACT_FIELDS } from '../sdk/propagator';

/** `traceparent` -> `TRACEPARENT`; `x-b3-traceid` -> `X_B3_TRACEID` (the environment carrier's names). */
export const toEnvName = (key: string) => key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/** Every context variable any propagator reads (TRACEPARENT, B3, X_B3_TRACEID...): replaced as a whole for a new process. */
const CONTEXT_ENV_KEYS = [...new Set(Object.values(EXTRACT_FIELDS).flat())].map((field) => toEnvName(field));

/**
 * Puts `ctx` into `env` (changed in place) for a process about to start: every inherited context key, the
 * propagator's own keys and `alsoRemove` are dropped first, so inherited values are replaced, never mixed
 * with the new ones.
 */
export function injectIntoEnvironment(env: NodeJS.ProcessEnv, ctx: Context, propagator: Pick<TextMapPropagator, 'inject' | 'fields'>, alsoRemove: readonly string[] = []): void {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  for (const key of [...CONTEXT_ENV_KEYS, ...propagator.fields().map(toEnvName), ...alsoRemove]) delete env[key];
  for (const [key, value] of Object.entries(carrier)) env[toEnvName(key)] = value;
}

export interface InheritedContext {
  /** The parent of the process's spans, when a valid context (or baggage) was inherited. */
  context?: Context;
  /** Set when a context variable was present but ignored (invalid, too long, control characters). */
  warning?: string;
}

/** The longest context value read from the environment: the W3C baggage limit, far above any trace id field. */
export const MAX_CONTEXT_VALUE_LENGTH = 8192;

/** The W3C propagators are always read (TRACEPARENT is the environment carrier's standard), then the configured ones. */
const ALWAYS_READ: readonly PropagatorName[] = ['tracecontext', 'baggage'];

/**
 * Reads the context a parent process put into the environment: TRACEPARENT, TRACESTATE and BAGGAGE, and
 * every field of the configured propagators (OTEL_PROPAGATORS), each upper-cased with `-` as `_`
 * (`B3`, `X_B3_TRACEID`...). A value longer than MAX_CONTEXT_VALUE_LENGTH or with control characters is
 * ignored, as is one the propagators cannot read: a warning names it and the process starts a new trace.
 */
export function readInheritedContext(env: NodeJS.ProcessEnv, propagators: readonly PropagatorName[] = []): InheritedContext {
  const names = [...new Set([...ALWAYS_READ, ...propagators])];
  const fields = [...new Set(names.flatMap((name) => EXTRACT_FIELDS[name]))];
  const carrier: Record<string, string> = {};
  const problems: string[] = [];
  for (const field of fields) {
    const envName = toEnvName(field);
    const value = env[envName]?.trim();
    if (!value) continue;
    if (value.length > MAX_CONTEXT_VALUE_LENGTH) problems.push(`${envName} is longer than ${MAX_CONTEXT_VALUE_LENGTH} characters`);
    // eslint-disable-next-line no-control-regex -- control characters are what is rejected
    else if (/[\x00-\x1f\x7f]/.test(value)) problems.push(`${envName}="${showValue(value)}" contains control characters`);
    else carrier[field] = value;
  }
  const present = Object.keys(carrier);
  if (present.length === 0) return problems.length > 0 ? { warning: `${problems.join('; ')}; ignored` } : {};
  const ctx = createPropagator(names).extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  const traceFields = present.filter((f) => f !== 'tracestate' && f !== 'baggage');
  if (traceFields.length > 0 && !trace.getSpanContext(ctx)) {
    const shown = traceFields.map((f) => `${toEnvName(f)}="${showValue(carrier[f])}"`).join(', ');
    problems.push(
      traceFields.length === 1 && traceFields[0] === 'traceparent'
        ? `${shown} is not a valid W3C traceparent`
        : `${shown} ${traceFields.length === 1 ? 'is' : 'are'} not a valid trace context (propagators: ${names.join(',')})`,
    );
  }
  return { context: ctx === ROOT_CONTEXT ? undefined : ctx, warning: problems.length > 0 ? `${problems.join('; ')}; it is ignored` : undefined };
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
