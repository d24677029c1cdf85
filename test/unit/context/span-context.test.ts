// The agent's overlay contexts against the API's own: the same values for every key after the same operations.
import { createContextKey, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, setRPCMetadata, isTracingSuppressed, suppressTracing } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { contextWithServerSpan, contextWithSpan } from '../../../src/context/span-context';
import { seededRandom as random } from '../../helpers/seeded-random';

const span = (id: string) => trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: id.padStart(16, '0'), traceFlags: 1 }) as Span;
const KEYS = [createContextKey('a'), createContextKey('b'), createContextKey('OpenTelemetry Context Key SPAN'), createContextKey('OpenTelemetry SDK Context Key RPC_METADATA'), createContextKey('c')];

describe('contextWithSpan / contextWithServerSpan', () => {
  it('read as trace.setSpan and setRPCMetadata make them, over any parent', () => {
    const parent = ROOT_CONTEXT.setValue(KEYS[0], 'kept');
    const s = span('1');
    const metadata = { type: RPCType.HTTP as const, span: s };
    const ours = contextWithServerSpan(parent, s, metadata);
    const api = setRPCMetadata(trace.setSpan(parent, s), metadata);
    for (const key of KEYS) expect(ours.getValue(key), String(key.description)).toBe(api.getValue(key));
    expect(trace.getSpan(ours)).toBe(s);
    expect(getRPCMetadata(ours)).toBe(metadata);
    expect(trace.getSpan(contextWithSpan(ROOT_CONTEXT, s))).toBe(s);
    expect(isTracingSuppressed(suppressTracing(ours))).toBe(true);
    expect(trace.getSpan(trace.deleteSpan(ours))).toBeUndefined();
  });

  it('derive like the API contexts over 2000 random setValue / deleteValue sequences, past the depth where overlays become API contexts', () => {
    const next = random(42);
    for (let run = 0; run < 2000; run++) {
      const s = span(String(run + 1));
      let ours: Context = contextWithSpan(ROOT_CONTEXT.setValue(KEYS[1], run), s);
      let api: Context = trace.setSpan(ROOT_CONTEXT.setValue(KEYS[1], run), s);
      const steps = Math.floor(next() * 20);
      for (let i = 0; i < steps; i++) {
        const key = KEYS[Math.floor(next() * KEYS.length)];
        const op = next();
        if (op < 0.25) {
          ours = ours.deleteValue(key);
          api = api.deleteValue(key);
        } else if (op < 0.35) {
          const child = span(`${run}${i}`);
          ours = contextWithSpan(ours, child);
          api = trace.setSpan(api, child);
        } else {
          const value = op < 0.4 ? undefined : `${run}.${i}`;
          ours = ours.setValue(key, value);
          api = api.setValue(key, value);
        }
        for (const k of KEYS) expect(ours.getValue(k), `run ${run} step ${i}`).toBe(api.getValue(k));
      }
    }
  });

  it('leaves the parent unchanged', () => {
    const parent = ROOT_CONTEXT.setValue(KEYS[0], 1);
    const derived = contextWithSpan(parent, span('2')).setValue(KEYS[0], 2).deleteValue(KEYS[1]);
    expect(parent.getValue(KEYS[0])).toBe(1);
    expect(trace.getSpan(parent)).toBeUndefined();
    expect(derived.getValue(KEYS[0])).toBe(2);
  });
});
