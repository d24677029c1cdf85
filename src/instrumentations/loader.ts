// Loads instrumentations lazily: each one is constructed when the program first resolves a module it patches.
import * as nodeModule from 'node:module';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { describeError, warn } from '../logging';
import type { InstrumentationEntry } from './registry';

export interface LoadedInstrumentations {
  /** Ids constructed so far (grows as the program loads modules). */
  readonly loaded: ReadonlySet<string>;
  readonly instances: readonly Instrumentation[];
  /** How modules are hooked: 'sync-hooks' (lazy, in-thread) or 'async-loader' (eager, off-thread ESM loader). */
  readonly mode: 'sync-hooks' | 'async-loader';
}

const BUILTINS = new Set(nodeModule.builtinModules);
const isBuiltin = (name: string) => BUILTINS.has(name.replace(/^node:/, ''));

/** `@scope/pkg/sub` -> `@scope/pkg`; `pkg/sub` -> `pkg`; `node:fs/promises` -> `fs/promises`. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return specifier.slice(5);
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) return undefined;
  const parts = specifier.split('/');
  if (isBuiltin(specifier)) return specifier;
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function startInstrumentations(entries: readonly InstrumentationEntry[]): LoadedInstrumentations {
  const loaded = new Set<string>();
  const instances: Instrumentation[] = [];
  const create = (entry: InstrumentationEntry) => {
    if (loaded.has(entry.id)) return;
    loaded.add(entry.id);
    try {
      instances.push(entry.create());
    } catch (err) {
      warn(`instrumentation "${entry.id}" could not be loaded and is skipped: ${describeError(err)}`);
    }
  };

  const syncHooks = supportsSyncHooks();
  // Core-module and module-less instrumentations start now: core modules are cached by
  // require-in-the-middle on first load, and fetch (undici) has no module to wait for.
  const lazyByModule = new Map<string, InstrumentationEntry[]>();
  const builtinsToSync = new Set<string>();
  for (const entry of entries) {
    const thirdParty = entry.modules.filter((m) => !isBuiltin(m));
    entry.modules.filter(isBuiltin).forEach((m) => builtinsToSync.add(m));
    if (!syncHooks || thirdParty.length === 0) {
      create(entry);
      continue;
    }
    for (const m of thirdParty) lazyByModule.set(m, [...(lazyByModule.get(m) ?? []), entry]);
  }
  if (instances.length === 0) ensureRequireHookFirst();

  // ESM imports of builtins bypass require-in-the-middle: load and patch them once, then
  // refresh the ESM facades so `import { request } from 'node:http'` sees the patched function.
  const pendingBuiltins = new Set([...builtinsToSync].map((m) => m.replace(/^node:/, '')));
  const patchBuiltin = (name: string) => {
    if (!pendingBuiltins.delete(name)) return;
    try {
      require(name);
      nodeModule.syncBuiltinESMExports();
    } catch (err) {
      warn(`could not prepare builtin module "${name}" for instrumentation: ${describeError(err)}`);
    }
  };

  const esmModules = [...lazyByModule.keys()];
  if (syncHooks) {
    nodeModule.registerHooks({
      resolve(specifier, context, nextResolve) {
        const name = packageNameOf(specifier);
        if (name !== undefined) {
          const pending = lazyByModule.get(name);
          if (pending) {
            lazyByModule.delete(name);
            pending.forEach(create);
          } else if (pendingBuiltins.size > 0 && !context.conditions?.includes('require')) {
            patchBuiltin(name);
          }
        }
        return nextResolve(specifier, context);
      },
    });
    if (esmModules.length > 0) registerEsmHookSync(esmModules);
  } else {
    [...pendingBuiltins].forEach(patchBuiltin);
    const allModules = entries.flatMap((e) => e.modules).filter((m) => !isBuiltin(m));
    if (allModules.length > 0) registerEsmHookAsync(allModules);
  }
  return { loaded, instances, mode: syncHooks ? 'sync-hooks' : 'async-loader' };
}

/**
 * @opentelemetry/instrumentation's require hook is created with the first instrumentation; it must
 * exist before the program's first require so that instrumentations created later see every load.
 */
function ensureRequireHookFirst(): void {
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

function registerEsmHookAsync(include: string[]): void {
  try {
    const hookUrl = require('node:url').pathToFileURL(require.resolve('import-in-the-middle/hook.mjs')).href as string;
    nodeModule.register(hookUrl, { data: { include } });
  } catch (err) {
    warn(`ESM instrumentation is unavailable (module.register failed): ${describeError(err)}`);
  }
}
