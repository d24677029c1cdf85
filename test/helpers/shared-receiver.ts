// One OTLP receiver per test file, started before its tests, reset before each, closed after.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startReceiver, type Receiver } from './otlp-receiver';

/** The receiver as a stand-in object: usable in tests, describe-level code must not touch it before beforeAll. */
export function sharedReceiver(): Receiver {
  let current: Receiver | undefined;
  beforeAll(async () => {
    current = await startReceiver();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => current?.reset());
  return new Proxy({} as Receiver, {
    get(_target, property) {
      if (!current) throw new Error('the shared receiver is used before beforeAll started it');
      const value = (current as unknown as Record<PropertyKey, unknown>)[property];
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
