// The context a process inherits in its environment: every configured propagator's fields, with size and sanity limits.
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { injectIntoEnvironment, MAX_CONTEXT_VALUE_LENGTH, readInheritedContext } from '../../../src/context/process-context';
import { createPropagator } from '../../../src/sdk/propagator';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const parentOf = (env: NodeJS.ProcessEnv, names: Parameters<typeof readInheritedContext>[1]) => {
  const inherited = readInheritedContext(env, names);
  return { span: inherited.context ? trace.getSpanContext(inherited.context) : undefined, warning: inherited.warning };
};

describe('readInheritedContext', () => {
  it('nothing inherited: no context, no warning', () => {
    expect(readInheritedContext({ PATH: '/bin' }, ['b3'])).toEqual({});
  });

  it('B3 (single) and X_B3_* (multi) when b3 is configured', () => {
    expect(parentOf({ B3: `${TRACE_ID}-${SPAN_ID}-1` }, ['b3']).span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
    expect(parentOf({ X_B3_TRACEID: TRACE_ID, X_B3_SPANID: SPAN_ID, X_B3_SAMPLED: '1' }, ['b3multi']).span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID });
  });

  it('B3 is not read unless a b3 propagator is configured; TRACEPARENT always is', () => {
    expect(parentOf({ B3: `${TRACE_ID}-${SPAN_ID}-1` }, ['tracecontext', 'baggage'])).toEqual({ span: undefined, warning: undefined });
    expect(parentOf({ TRACEPARENT: `00-${TRACE_ID}-${SPAN_ID}-01` }, ['b3']).span?.traceId).toBe(TRACE_ID);
  });

  it('a value over the limit or with control characters is ignored with a warning naming it', () => {
    const long = parentOf({ B3: `${TRACE_ID}-${SPAN_ID}-1`.padEnd(MAX_CONTEXT_VALUE_LENGTH + 1, '0') }, ['b3']);
    expect(long).toEqual({ span: undefined, warning: `B3 is longer than ${MAX_CONTEXT_VALUE_LENGTH} characters; ignored` });
    const ctrl = parentOf({ X_B3_TRACEID: `${TRACE_ID}\u0007`, X_B3_SPANID: SPAN_ID }, ['b3multi']);
    expect(ctrl.span).toBeUndefined();
    expect(ctrl.warning).toContain('X_B3_TRACEID="0af7651916cd43dd8448eb211c80319c?" contains control characters');
  });

  it('garbage the propagators cannot read: a warning naming the variables, a new trace', () => {
    expect(parentOf({ B3: 'not-a-context' }, ['b3'])).toEqual({ span: undefined, warning: 'B3="not-a-context" is not a valid trace context (propagators: tracecontext,baggage,b3); it is ignored' });
    expect(parentOf({ TRACEPARENT: '00-zzzz-1234-01' }, [])).toEqual({ span: undefined, warning: 'TRACEPARENT="00-zzzz-1234-01" is not a valid W3C traceparent; it is ignored' });
  });
});

describe('injectIntoEnvironment', () => {
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });

  it.each([
    ['b3', { B3: `${TRACE_ID}-${SPAN_ID}-1` }],
    ['b3multi', { X_B3_TRACEID: TRACE_ID, X_B3_SPANID: SPAN_ID, X_B3_SAMPLED: '1' }],
  ] as const)('%s: the fields upper-cased with `-` as `_`, inherited context variables of any propagator replaced', (name, expected) => {
    const env: NodeJS.ProcessEnv = { TRACEPARENT: 'old', B3: 'old', X_B3_TRACEID: 'old', KEEP: 'yes' };
    injectIntoEnvironment(env, ctx, createPropagator([name]));
    expect(env).toEqual({ KEEP: 'yes', ...expected });
    // Written and read back: the same context.
    expect(parentOf(env, [name]).span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID });
  });
});
