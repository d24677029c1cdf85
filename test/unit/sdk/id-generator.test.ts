// The agent's id generator: ids in the SDK's format, distinct, never the invalid all-zero id.
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { PooledIdGenerator } from '../../../src/sdk/id-generator';

describe('PooledIdGenerator', () => {
  it('makes 32- and 16-digit lowercase hex ids, valid and distinct, across many pool refills', () => {
    const ids = new PooledIdGenerator();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(trace.isSpanContextValid({ traceId, spanId, traceFlags: 1 })).toBe(true);
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(traceIds.size).toBe(20_000);
    expect(spanIds.size).toBe(20_000);
  });

  it('turns an all-zero id into a valid one, as the SDK does', () => {
    const ids = new PooledIdGenerator((bytes) => bytes.fill(0));
    expect(ids.generateTraceId()).toBe(`${'0'.repeat(31)}1`);
    expect(ids.generateSpanId()).toBe(`${'0'.repeat(15)}1`);
  });

  it('uses every byte of the random source once', () => {
    let next = 0;
    const ids = new PooledIdGenerator((bytes) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = next++ & 255;
    });
    expect(ids.generateSpanId()).toBe('0001020304050607');
    expect(ids.generateTraceId()).toBe('08090a0b0c0d0e0f1011121314151617');
    expect(ids.generateSpanId()).toBe('18191a1b1c1d1e1f');
  });
});
