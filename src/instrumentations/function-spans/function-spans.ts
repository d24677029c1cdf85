// Wraps exported functions named by OTEL_AGENT_FUNCTION_SPANS in spans: zero-code spans for the program's own code.
import { SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { absolutePath, workingDirectory } from '../../runtime/environment';
import { describeError, warn } from '../../runtime/logging';
import { REDACTED, isSecretName, looksLikeSecret } from '../../redaction/index';
import type { FunctionAttributeSpec, FunctionSpanSpec, ModuleFunctionsSpec } from './spec';

const VARIABLE = 'OTEL_AGENT_FUNCTION_SPANS';

/** Where a configured module is: an absolute file (from a relative or absolute path) or a package name. */
export function resolveModuleTarget(module: string, cwd: string | undefined = workingDirectory()): string | undefined {
  // Undefined: a relative path, and the working directory was deleted.
  if (module.startsWith('.') || path.isAbsolute(module)) return absolutePath(module, cwd);
  return module;
}

function attributeValue(args: unknown[], spec: FunctionAttributeSpec): string | number | boolean | undefined {
  let value: unknown = args;
  for (const key of spec.path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  if (typeof value === 'string') return isSecretName(spec.name) || looksLikeSecret(value) ? REDACTED : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

function recordError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err) });
}

/** The wrapper keeps `this`, `new`, the name and the length; a returned promise ends the span when it settles. */
export function wrapFunction<F extends (...args: unknown[]) => unknown>(original: F, spec: FunctionSpanSpec, tracer: Tracer, file: string): F {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const attributes: Attributes = { 'code.function.name': spec.exportPath.join('.'), 'code.file.path': file };
    for (const a of spec.attributes) {
      const value = attributeValue(args, a);
      if (value !== undefined) attributes[a.name] = value;
    }
    const call = () => (new.target ? Reflect.construct(original, args, new.target) : original.apply(this, args));
    return tracer.startActiveSpan(spec.spanName, { attributes }, (span) => {
      let result: unknown;
      try {
        result = call();
      } catch (err) {
        recordError(span, err);
        span.end();
        throw err;
      }
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        const settled = Promise.resolve(result).then(
          (value) => {
            span.end();
            return value;
          },
          (err: unknown) => {
            recordError(span, err);
            span.end();
            throw err;
          },
        );
        // Keep extra properties a promise may carry (the caller may rely on them).
        if (result instanceof Promise) Object.assign(settled, result);
        return settled;
      }
      span.end();
      return result;
    });
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  Object.defineProperty(wrapped, 'length', { value: original.length });
  Object.setPrototypeOf(wrapped, Object.getPrototypeOf(original));
  if (original.prototype !== undefined) wrapped.prototype = original.prototype;
  return wrapped as unknown as F;
}

/** Replaces the function at `exportPath` in a module's exports (or ESM namespace); false when absent. */
function wrapExport(moduleExports: Record<string, unknown>, spec: FunctionSpanSpec, tracer: Tracer, file: string): boolean {
  let holder: Record<string, unknown> | undefined = moduleExports;
  for (const key of spec.exportPath.slice(0, -1)) holder = holder?.[key] as Record<string, unknown> | undefined;
  const last = spec.exportPath[spec.exportPath.length - 1];
  const original = holder?.[last];
  if (typeof original !== 'function' || !holder) return false;
  holder[last] = wrapFunction(original as (...a: unknown[]) => unknown, spec, tracer, file);
  return true;
}

/**
 * Hooks every configured module with require-in-the-middle (CJS) and import-in-the-middle (ESM).
 * Returns the targets, which the ESM loader hook must be told to include.
 */
export function startFunctionSpans(modules: readonly ModuleFunctionsSpec[]): string[] {
  const { Hook: RequireHook } = require('require-in-the-middle') as typeof import('require-in-the-middle');
  const { Hook: ImportHook } = require('import-in-the-middle') as typeof import('import-in-the-middle');
  const tracer = trace.getTracer('@org/otel-agent/function-spans');
  const targets: string[] = [];
  for (const spec of modules) {
    const target = resolveModuleTarget(spec.module);
    if (target === undefined) {
      warn(`${VARIABLE}: ${spec.module} is a relative path and the working directory was deleted; it is not traced`);
      continue;
    }
    const patch = (exports: unknown, file: string) => {
      for (const fn of spec.functions) {
        try {
          if (!wrapExport(exports as Record<string, unknown>, fn, tracer, file)) {
            warn(`${VARIABLE}: ${spec.module} has no exported function "${fn.exportPath.join('.')}"; it is not traced`);
          }
        } catch (err) {
          warn(`${VARIABLE}: could not wrap ${fn.exportPath.join('.')} of ${spec.module}: ${describeError(err)}`);
        }
      }
      return exports;
    };
    // A relative or absolute file: require-in-the-middle matches the resolved file name.
    const files = path.isAbsolute(target) ? candidateFiles(target) : [target];
    const cwd = workingDirectory();
    const label = path.isAbsolute(target) && cwd !== undefined ? path.relative(cwd, target) || target : target;
    // A typo would otherwise mean silence: the hook just never fires. Looking at start costs a few
    // stats, for configured modules only. The hooks stay in place either way.
    if (path.isAbsolute(target) ? !files.some(isFile) : !packageInstalled(target, cwd)) {
      const where = path.isAbsolute(target) ? `no file ${target}${files.length > 1 ? ' (nor with .js, .cjs, .mjs or /index.js)' : ''}` : 'no such package in node_modules above the working directory or the main script';
      warn(`${VARIABLE}: ${spec.module} was not found (${where}); it is not traced`);
    }
    new RequireHook(files, { internals: true }, <T>(exports: T) => patch(exports, label) as T);
    new ImportHook(files, (exports) => {
      patch(exports, label);
    });
    // The ESM loader hook takes file URLs for files, bare specifiers for packages.
    targets.push(...files.map((f) => (path.isAbsolute(f) ? pathToFileURL(f).href : f)));
  }
  return targets;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `specifier`'s package is where Node would look for it from the working directory or the
 * main script: node_modules folders up the tree, NODE_PATH, the global folders. Builtins count.
 */
function packageInstalled(specifier: string, cwd: string | undefined): boolean {
  if (isBuiltin(specifier)) return true;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const starts = [cwd, process.argv[1] ? path.dirname(path.resolve(cwd ?? '/', process.argv[1])) : undefined].filter((d): d is string => d !== undefined);
  const dirs = new Set<string>();
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      dirs.add(path.join(dir, 'node_modules'));
      if (path.dirname(dir) === dir) break;
    }
  }
  const { globalPaths } = require('node:module') as { globalPaths?: string[] };
  for (const dir of [...(process.env.NODE_PATH ?? '').split(path.delimiter), ...(globalPaths ?? [])]) if (dir) dirs.add(dir);
  return [...dirs].some((dir) => fs.existsSync(path.join(dir, name)));
}

/** `./lib/runner` may mean runner.js, .cjs or .mjs; a path with an extension means itself. */
function candidateFiles(file: string): string[] {
  if (path.extname(file) !== '') return [file];
  return [file, `${file}.js`, `${file}.cjs`, `${file}.mjs`, path.join(file, 'index.js')];
}
