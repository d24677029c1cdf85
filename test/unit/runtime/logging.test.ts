// Configuration warnings that `otel-agent run` printed already (OTEL_AGENT_SHOWN_WARNINGS) are not printed again; others are.
import { afterEach, describe, expect, it } from 'vitest';
import { captureWarnings, configurationWarningKey, SHOWN_WARNINGS_VARIABLE, shownWarnings, warnConfiguration } from '../../../src/runtime/logging';

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe('warnConfiguration', () => {
  it('leaves out a warning whose key run listed, prints any other once', () => {
    const lines: string[] = [];
    restore = captureWarnings(lines);
    const env = { [SHOWN_WARNINGS_VARIABLE]: `${configurationWarningKey('bad sampler')},zz,${configurationWarningKey('x')}` };
    expect(warnConfiguration('bad sampler', env)).toBe(false);
    expect(warnConfiguration('bad protocol', env)).toBe(true);
    expect(warnConfiguration('bad protocol', env)).toBe(true);
    expect(lines).toEqual(['[otel-agent] warning: bad protocol']);
  });

  it('without the variable (not under run), or with garbage in it, every warning is printed', () => {
    const lines: string[] = [];
    restore = captureWarnings(lines);
    warnConfiguration('one', {});
    warnConfiguration('two', { [SHOWN_WARNINGS_VARIABLE]: 'two, ,,not-a-key' });
    expect(lines).toEqual(['[otel-agent] warning: one', '[otel-agent] warning: two']);
  });

  it('keys: 8 hex digits, stable, different for different texts', () => {
    const key = configurationWarningKey('OTEL_TRACES_SAMPLER="bogus" is not one of ...');
    expect(key).toMatch(/^[0-9a-f]{8}$/);
    expect(configurationWarningKey('OTEL_TRACES_SAMPLER="bogus" is not one of ...')).toBe(key);
    expect(configurationWarningKey('OTEL_TRACES_SAMPLER="bogut" is not one of ...')).not.toBe(key);
    expect(configurationWarningKey('')).toBe('811c9dc5');
    expect([...shownWarnings(` ${key} ,${key},ABCDEF12`)]).toEqual([key]);
  });
});
