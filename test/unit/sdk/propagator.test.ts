// The propagators' extract fields listed without loading them stay in step with the propagators themselves.
import { describe, expect, it } from 'vitest';
import { createPropagator, EXTRACT_FIELDS } from '../../../src/sdk/propagator';
import type { PropagatorName } from '../../../src/config';

describe('EXTRACT_FIELDS', () => {
  it.each(Object.keys(EXTRACT_FIELDS) as PropagatorName[])('%s: lists every field the propagator injects', (name) => {
    expect(EXTRACT_FIELDS[name]).toEqual(expect.arrayContaining(createPropagator([name]).fields()));
  });
  it('b3 and b3multi read both encodings', () => {
    expect(EXTRACT_FIELDS.b3).toEqual(expect.arrayContaining([...createPropagator(['b3']).fields(), ...createPropagator(['b3multi']).fields()]));
  });
});
