// The agent's diag logger: a second tracer provider registration becomes one warning; other diagnostics keep their level.
import { diag, DiagLogLevel, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { captureWarnings } from '../../../src/runtime/logging';
import { OTHER_SDK_WARNING, watchForOtherSdk } from '../../../src/runtime/other-sdk';

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  trace.disable();
  diag.disable();
});

describe('watchForOtherSdk', () => {
  it('turns a second tracer provider registration into one warning, however often it happens', () => {
    const warnings: string[] = [];
    restore = captureWarnings(warnings);
    expect(trace.setGlobalTracerProvider(new TracerProvider())).toBe(true); // the agent's
    watchForOtherSdk(DiagLogLevel.NONE);
    expect(trace.setGlobalTracerProvider(new TracerProvider())).toBe(false);
    expect(trace.setGlobalTracerProvider(new TracerProvider())).toBe(false);
    expect(warnings).toEqual([`[otel-agent] warning: ${OTHER_SDK_WARNING}`]);
  });

  it('leaves other diagnostics alone: no warning for them', () => {
    const warnings: string[] = [];
    restore = captureWarnings(warnings);
    watchForOtherSdk(DiagLogLevel.NONE);
    diag.error('an exporter failed');
    diag.error('@opentelemetry/api: Attempted duplicate registration of API: propagation');
    expect(warnings).toEqual([]);
  });
});
