// Keeps the agent's own signal listeners out of what the program sees on `process`, so libraries that count listeners behave as without the agent.
/**
 * Libraries such as signal-exit re-raise a signal only when no other listener is left
 * (`process.listeners(sig).length === theirs`), and the agent leaves a signal to the program when the
 * program listens. Seen by each other, each would leave it to the other and the process would ignore
 * the signal. So `process.listeners`, `rawListeners`, `listenerCount` and `eventNames` leave the
 * agent's listeners out, and `removeAllListeners(signal)` keeps them; Node itself (which stops
 * watching a signal when its last listener goes) still counts them.
 */
type Listener = (...args: unknown[]) => void;

const hidden = new Map<string | symbol, Set<Listener>>();
/** Set while a listener is being removed: Node's own bookkeeping then counts every listener. */
let countAll = 0;
let patched = false;

const isHidden = (event: string | symbol, listener: unknown) => hidden.get(event)?.has(listener as Listener) ?? false;

/** Adds `listener` for `event` on process, invisible to the program. */
export function addHiddenListener(event: string, listener: Listener): void {
  patchProcess();
  let set = hidden.get(event);
  if (!set) hidden.set(event, (set = new Set()));
  set.add(listener);
  process.on(event, listener);
}

/** Removes a listener added by addHiddenListener. */
export function removeHiddenListener(event: string, listener: Listener): void {
  process.removeListener(event, listener);
  hidden.get(event)?.delete(listener);
}

function patchProcess(): void {
  if (patched) return;
  patched = true;
  const proto = Object.getPrototypeOf(process) as NodeJS.EventEmitter;
  const target = process as unknown as Record<string, unknown>;
  type Remove = (this: NodeJS.Process, event: string | symbol, listener: Listener) => NodeJS.Process;
  const original = {
    listeners: process.listeners as (this: NodeJS.Process, event: string | symbol) => Listener[],
    rawListeners: process.rawListeners as (this: NodeJS.Process, event: string | symbol) => Listener[],
    listenerCount: process.listenerCount as (this: NodeJS.Process, event: string | symbol, listener?: Listener) => number,
    eventNames: process.eventNames as (this: NodeJS.Process) => (string | symbol)[],
    removeListener: process.removeListener as Remove,
    off: process.off as Remove,
    removeAllListeners: process.removeAllListeners as (this: NodeJS.Process, event?: string | symbol) => NodeJS.Process,
  };
  const visible = (event: string | symbol, list: Listener[]) => (countAll > 0 || !hidden.has(event) ? list : list.filter((l) => !isHidden(event, l)));
  const define = (name: string, value: (this: NodeJS.Process, ...args: never[]) => unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });

  define('listeners', function (this: NodeJS.Process, event: string | symbol) {
    return visible(event, original.listeners.call(this, event));
  });
  define('rawListeners', function (this: NodeJS.Process, event: string | symbol) {
    return visible(event, original.rawListeners.call(this, event));
  });
  define('listenerCount', function (this: NodeJS.Process, event: string | symbol, listener?: Listener) {
    if (countAll > 0 || !hidden.has(event)) return original.listenerCount.call(this, event, listener);
    const raw = visible(event, original.rawListeners.call(this, event));
    if (listener === undefined) return raw.length;
    return raw.filter((l) => l === listener || (l as { listener?: unknown }).listener === listener).length;
  });
  define('eventNames', function (this: NodeJS.Process) {
    return original.eventNames.call(this).filter((event) => !hidden.has(event) || visible(event, original.rawListeners.call(this, event)).length > 0);
  });
  // Node stops watching a signal when `process.listenerCount(signal)` reaches 0 on removal: it must
  // count the agent's listener then, or the agent would miss the signal the program re-raises.
  const counting = (remove: Remove) =>
    function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
      countAll++;
      try {
        return remove.call(this, event, listener);
      } finally {
        countAll--;
      }
    };
  define('removeListener', counting(original.removeListener));
  define('off', counting(original.off));
  define('removeAllListeners', function (this: NodeJS.Process, event?: string | symbol) {
    if (event !== undefined && hidden.has(event)) {
      for (const l of visible(event, original.rawListeners.call(this, event))) this.removeListener(event, l);
      return this;
    }
    const result = event === undefined ? original.removeAllListeners.call(this) : original.removeAllListeners.call(this, event);
    // Everything was removed: the agent's signal listeners come back.
    if (event === undefined) for (const [name, set] of hidden) for (const l of set) (proto.on as (this: NodeJS.Process, e: string | symbol, l: Listener) => void).call(this, name, l);
    return result;
  });
}
