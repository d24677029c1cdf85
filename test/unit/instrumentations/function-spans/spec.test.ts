// Unit tests of the OTEL_AGENT_FUNCTION_SPANS parser: the grammar, its errors, and linear time on long hostile input.
import { describe, expect, it } from 'vitest';
import { parseFunctionSpans } from '../../../../src/instrumentations/function-spans/spec';

describe('parseFunctionSpans', () => {
  it('modules, export paths, span names and attributes with argument paths', () => {
    expect(parseFunctionSpans('./lib/x.js[createResources=create (vm, package.name:0.name), Scheduler.prototype.build];pkg[run]')).toEqual({
      modules: [
        {
          module: './lib/x.js',
          functions: [
            { exportPath: ['createResources'], spanName: 'create', attributes: [{ name: 'vm', path: [0] }, { name: 'package.name', path: [0, 'name'] }] },
            { exportPath: ['Scheduler', 'prototype', 'build'], spanName: 'Scheduler.prototype.build', attributes: [] },
          ],
        },
        { module: 'pkg', functions: [{ exportPath: ['run'], spanName: 'run', attributes: [] }] },
      ],
      warnings: [],
    });
  });

  it('bad parts: named in the warning (more than three summed up in one); the rest applies', () => {
    const { modules, warnings } = parseFunctionSpans('nobrackets;m[=a,d= (x),f(1bad),e]');
    expect(modules).toEqual([{ module: 'm', functions: [{ exportPath: ['e'], spanName: 'e', attributes: [] }] }]);
    expect(warnings).toEqual(['OTEL_AGENT_FUNCTION_SPANS: 4 parts are ignored; the first 3: "nobrackets" is not of the form module[function,...] | in m: "=a" is not of the form name, name=SpanName or name=SpanName(attr,...) | in m: "d= (x)" has an empty span name']);
    expect(parseFunctionSpans('[x];m[b=,e]').warnings).toEqual([
      'OTEL_AGENT_FUNCTION_SPANS: "[x]" is not of the form module[function,...]; it is ignored',
      'OTEL_AGENT_FUNCTION_SPANS: in m: "b=" is not of the form name, name=SpanName or name=SpanName(attr,...); it is ignored',
    ]);
  });

  it('thousands of bad parts: one warning with the count', () => {
    const { warnings } = parseFunctionSpans(Array(5000).fill('bad').join(';'));
    expect(warnings).toEqual([expect.stringMatching(/^OTEL_AGENT_FUNCTION_SPANS: 5000 parts are ignored; the first 3: "bad" is not/)]);
  });

  it('long hostile input is parsed in one pass (a name and 100,000 spaces took minutes; 100,000 `[`)', () => {
    const spaces = parseFunctionSpans(`m[a${' '.repeat(100_000)}x(]`);
    expect(spaces.modules).toEqual([]);
    expect(spaces.warnings).toHaveLength(1);
    expect(parseFunctionSpans(`a${'['.repeat(100_000)}x`).warnings).toHaveLength(1);
    expect(parseFunctionSpans(`m[f=${' '.repeat(100_000)}n]`).modules[0].functions[0].spanName).toBe('n');
  });
});
