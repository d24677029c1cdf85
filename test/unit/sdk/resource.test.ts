// Unit tests of the resource the agent builds: secrets inside OTEL_RESOURCE_ATTRIBUTES values are redacted.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config';
import { buildResource } from '../../../src/sdk/resource';

const resourceOf = (env: Record<string, string>) => buildResource(resolveConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'none', ...env }, { knownInstrumentations: [] }).config, {}).attributes;

describe('OTEL_RESOURCE_ATTRIBUTES values', () => {
  it('lose URL credentials and secret query values; the rest is kept as given', () => {
    const attributes = resourceOf({
      OTEL_RESOURCE_ATTRIBUTES: 'vcs.repository.url.full=https://ci:glpat-abcdef123456@git.example/app.git,db=postgres://app:PW@db:5432/x,hook=https://h.example/x?%2574oken=abc&b=1,team=core',
    });
    expect(attributes['vcs.repository.url.full']).toBe('https://<redacted>@git.example/app.git');
    expect(attributes['db']).toBe('postgres://<redacted>@db:5432/x');
    expect(attributes['hook']).toBe('https://h.example/x?%74oken=<redacted>&b=1');
    expect(attributes['team']).toBe('core');
  });
  it('with redaction off, only URL credentials go', () => {
    const attributes = resourceOf({ OTEL_AGENT_REDACTION: 'off', OTEL_RESOURCE_ATTRIBUTES: 'a=https://u:p@h/x?token=t' });
    expect(attributes['a']).toBe('https://<redacted>@h/x?token=t');
  });
});
