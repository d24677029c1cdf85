// The agent's own listeners on process are invisible to the program's listener queries, yet still called.
import { afterEach, describe, expect, it } from 'vitest';
import { addHiddenListener, removeHiddenListener } from '../../../src/lifecycle/hidden-listeners';

// Not a signal: the test process's own signal handling stays as it is.
const EVENT = 'otel-agent-test-event';
const emit = () => (process.emit as (event: string) => boolean)(EVENT);
let calls: string[] = [];
const agent = () => calls.push('agent');
const program = () => calls.push('program');

afterEach(() => {
  removeHiddenListener(EVENT, agent);
  process.removeAllListeners(EVENT);
  calls = [];
});

describe('hidden listeners', () => {
  it('are left out of listeners, rawListeners, listenerCount and eventNames, and still called', () => {
    addHiddenListener(EVENT, agent);
    expect(process.listeners(EVENT)).toEqual([]);
    expect(process.rawListeners(EVENT)).toEqual([]);
    expect(process.listenerCount(EVENT)).toBe(0);
    expect(process.eventNames()).not.toContain(EVENT);
    process.on(EVENT, program);
    expect(process.listeners(EVENT)).toEqual([program]);
    expect(process.listenerCount(EVENT)).toBe(1);
    expect(process.listenerCount(EVENT, program)).toBe(1);
    expect(process.eventNames()).toContain(EVENT);
    emit();
    expect(calls).toEqual(['agent', 'program']);
  });

  it('removeAllListeners(event) removes the program\'s only; removeHiddenListener the agent\'s', () => {
    addHiddenListener(EVENT, agent);
    process.on(EVENT, program);
    process.removeAllListeners(EVENT);
    emit();
    expect(calls).toEqual(['agent']);
    removeHiddenListener(EVENT, agent);
    emit();
    expect(calls).toEqual(['agent']);
  });

  it('while a listener is removed, Node\'s own bookkeeping counts the hidden ones', () => {
    addHiddenListener(EVENT, agent);
    process.on(EVENT, program);
    const seen: number[] = [];
    const watch = (event: string | symbol) => event === EVENT && seen.push(process.listenerCount(EVENT));
    process.on('removeListener', watch);
    process.removeListener(EVENT, program);
    process.off('removeListener', watch);
    expect(seen).toEqual([1]);
    expect(process.listenerCount(EVENT)).toBe(0);
  });
});
