// Loads instrumentations lazily: each one is constructed when the program first resolves a module it patches.
import * as nodeModule from 'node:module';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { describeError, warn } from '../runtime/logging';
import type { AgentConfig } from '../config';
import type { InstrumentationEntry } from './registry';

export interface LoadedInstrumentations {
  /** The instrumentations constructed so far (grows as the program loads modules). */
  readonly instances: readonly Instrumentation[];
}

const isBuiltin = (name: string) => nodeModule.isBuiltin(name);

/** `@scope/pkg/sub` -> `@scope/pkg`; `pkg/sub` -> `pkg`; `node:fs/promises` -> `fs/promises`. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return specifier.slice(5);
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) return undefined;
  const parts = specifier.split('/');
  if (isBuiltin(specifier)) return specifier;
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** `extraEsmInclude`: more modules (absolute files or package names) the ESM hook must wrap, e.g. for function spans. */
export function startInstrumentations(entries: readonly InstrumentationEntry[], config: AgentConfig, extraEsmInclude: readonly string[] = []): LoadedInstrumentations {
  const loaded = new Set<string>();
  const instances: Instrumentation[] = [];
  const create = (entry: InstrumentationEntry): Instrumentation | undefined => {
    if (loaded.has(entry.id)) return undefined;
    loaded.add(entry.id);
    try {
      const instance = entry.create(config);
      guardPatches(instance as WithModuleDefinitions, entry.id);
      instances.push(instance);
      return instance;
    } catch (err) {
      warn(`instrumentation "${entry.id}" could not be loaded and is skipped: ${describeError(err)}`);
      return undefined;
    }
  };

  const syncHooks = supportsSyncHooks();
  // With in-thread hooks, an instrumentation is created when the program first resolves a module it
  // patches (before the module loads). Instrumentations with no module to wait for (fetch's
  // diagnostics channels) start now, and so does everything when only the off-thread loader exists.
  const lazyByModule = new Map<string, InstrumentationEntry[]>();
  const builtins = new Set<string>();
  for (const entry of entries) {
    entry.modules.filter(isBuiltin).forEach((m) => builtins.add(m.replace(/^node:/, '')));
    if (!syncHooks || entry.modules.length === 0) {
      create(entry);
      continue;
    }
    for (const m of entry.modules) lazyByModule.set(m, [...(lazyByModule.get(m) ?? []), entry]);
    for (const name of entry.globals ?? []) onFirstUseOfGlobal(name, () => create(entry));
    for (const name of entry.channels ?? []) {
      onFirstChannelMessage(name, (message) => {
        // Created by its module or global meanwhile: it is subscribed, and got this message itself.
        if (loaded.has(entry.id)) return;
        (create(entry) as ChannelFedInstrumentation | undefined)?.deliverChannelMessage?.(name, message);
      });
    }
  }
  // The require hook shared by all instrumentations must precede every module load.
  ensureRequireHookFirst();

  // ESM imports of builtins bypass require-in-the-middle: load and patch them once through require,
  // then refresh the ESM facades so `import { request } from 'node:http'` sees the patched function.
  const patchBuiltin = (name: string) => {
    if (!builtins.delete(name)) return;
    try {
      require(name);
      nodeModule.syncBuiltinESMExports();
    } catch (err) {
      warn(`could not prepare builtin module "${name}" for instrumentation: ${describeError(err)}`);
    }
  };

  if (syncHooks) {
    const esmModules = [...[...lazyByModule.keys()].filter((m) => !isBuiltin(m)), ...extraEsmInclude];
    if (esmModules.length > 0) {
      registerEsmHookSync(esmModules);
      guardBuiltinLoads();
    }
    // Registered last, so it runs first: instrumentations are created (and their own modules
    // required) before import-in-the-middle resolves the import that triggered them. Its resolve
    // keeps the last resolver it was handed to resolve a module's `export *` later; the agent's
    // requires must not be the last it saw.
    nodeModule.registerHooks({
      resolve(specifier, context, nextResolve) {
        const name = packageNameOf(specifier);
        if (name !== undefined) {
          const pending = lazyByModule.get(name);
          if (pending) {
            lazyByModule.delete(name);
            pending.forEach(create);
          }
          if (builtins.has(name) && !context.conditions?.includes('require')) patchBuiltin(name);
        }
        return nextResolve(specifier, context);
      },
    });
  } else {
    [...builtins].forEach(patchBuiltin);
    const allModules = [...entries.flatMap((e) => e.modules).filter((m) => !isBuiltin(m)), ...extraEsmInclude];
    if (allModules.length > 0) registerEsmHookAsync(allModules);
  }
  return { instances };
}

/**
 * @opentelemetry/instrumentation's require hook is created with the first instrumentation; it must
 * exist before the program's first require so that instrumentations created later see every load.
 */
/**
 * Calls `trigger` the first time the program reads or replaces `globalThis[name]`, then puts the
 * original property back exactly as it was. Reading `fetch` comes before calling it, so the
 * instrumentation is listening before the first request.
 */
/** An instrumentation fed by diagnostics channels takes the message that made the loader create it (it was not subscribed yet). */
export interface ChannelFedInstrumentation extends Instrumentation {
  deliverChannelMessage?(channel: string, message: unknown): void;
}

/** Calls `trigger` with the first message published on `name`, once. */
function onFirstChannelMessage(name: string, trigger: (message: unknown) => void): void {
  const diagnostics = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
  const once = (message: unknown) => {
    diagnostics.unsubscribe(name, once);
    trigger(message);
  };
  diagnostics.subscribe(name, once);
}

function onFirstUseOfGlobal(name: string, trigger: () => void): void {
  const original = Object.getOwnPropertyDescriptor(globalThis, name);
  if (!original?.configurable) return;
  const restore = () => {
    Object.defineProperty(globalThis, name, original);
    trigger();
  };
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: original.enumerable,
    get() {
      restore();
      return (globalThis as Record<string, unknown>)[name];
    },
    set(value: unknown) {
      restore();
      (globalThis as Record<string, unknown>)[name] = value;
    },
  });
}

type Patch = (moduleExports: unknown, moduleVersion?: string) => unknown;

/**
 * An instrumentation whose patch throws would throw out of the program's own require/import.
 * Wrap every patch so a failure leaves that module unpatched, with one warning, and the program runs on.
 */
interface WithModuleDefinitions {
  getModuleDefinitions?(): { name: string; patch?: Patch; files?: { name: string; patch?: Patch }[] }[];
}
export function guardPatches(instance: WithModuleDefinitions, id: string): void {
  const guard = (target: { patch?: Patch }, what: string) => {
    const patch = target.patch;
    if (typeof patch !== 'function') return;
    target.patch = function guardedPatch(this: unknown, moduleExports, moduleVersion) {
      try {
        return patch.call(this, moduleExports, moduleVersion);
      } catch (err) {
        warn(`instrumentation "${id}" failed to patch ${what}${moduleVersion ? `@${moduleVersion}` : ''}, which stays uninstrumented: ${describeError(err)}`);
        return moduleExports;
      }
    };
  };
  for (const definition of instance.getModuleDefinitions?.() ?? []) {
    guard(definition, definition.name);
    for (const file of definition.files ?? []) guard(file, file.name);
  }
}

let anchored = false;
function ensureRequireHookFirst(): void {
  if (anchored) return;
  anchored = true;
  const { InstrumentationBase } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  class RequireHookAnchor extends InstrumentationBase {
    protected init() {
      return [];
    }
  }
  new RequireHookAnchor('@org/otel-agent/require-hook-anchor', '0.0.0', {});
}

function supportsSyncHooks(): boolean {
  if (typeof nodeModule.registerHooks !== 'function') return false;
  try {
    const { supportsSyncHooks: check } = require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean };
    return check();
  } catch {
    return false;
  }
}

function registerEsmHookSync(include: string[]): void {
  try {
    const { register } = require('import-in-the-middle/register-hooks.mjs') as { register(o: { include: string[] }): void };
    register({ include });
  } catch (err) {
    warn(`ESM instrumentation is unavailable (import-in-the-middle failed to register): ${describeError(err)}`);
  }
}

/**
 * import-in-the-middle's synchronous load hook mishandles some builtin loads (e.g. Node's own
 * require of 'module' for `node -e`, or `require('node:module')`): it passes them on without their
 * 'builtin' format and Node then tries to read a file named "module". Builtins are never wrapped
 * (they are patched through require above), so answer their loads before it sees them. Registered
 * after it, this hook runs first.
 */
function guardBuiltinLoads(): void {
  nodeModule.registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('node:') || nodeModule.isBuiltin(url)) return { format: 'builtin', source: null, shortCircuit: true } as unknown as nodeModule.LoadFnOutput;
      return nextLoad(url, context);
    },
  });
}

function registerEsmHookAsync(include: string[]): void {
  try {
    const hookUrl = require('node:url').pathToFileURL(require.resolve('import-in-the-middle/hook.mjs')).href as string;
    nodeModule.register(hookUrl, { data: { include } });
  } catch (err) {
    warn(`ESM instrumentation is unavailable (module.register failed): ${describeError(err)}`);
  }
}
