// The options the agent gives the upstream log instrumentations: log sending only when logs are exported.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config';
import { INSTRUMENTATIONS } from '../../../src/instrumentations/registry';

const known = INSTRUMENTATIONS.map((i) => ({ id: i.id, defaultOn: i.defaultOn }));

function configOf(id: string, env: Record<string, string>, instrumentationOptions?: Record<string, Record<string, unknown>>) {
  const { config } = resolveConfig(env, { knownInstrumentations: known });
  const instance = INSTRUMENTATIONS.find((i) => i.id === id)!.create({ ...config, instrumentationOptions });
  instance.disable();
  return instance.getConfig() as { disableLogSending?: boolean; disableLogCorrelation?: boolean };
}

describe.each(['pino', 'winston', 'bunyan'])('%s', (id) => {
  it('sends no logs without OTEL_LOGS_EXPORTER, and keeps the trace fields', () => {
    expect(configOf(id, {})).toMatchObject({ disableLogSending: true });
    expect(configOf(id, {}).disableLogCorrelation).not.toBe(true);
  });

  it('sends logs when they are exported', () => {
    expect(configOf(id, { OTEL_LOGS_EXPORTER: 'otlp' })).toMatchObject({ disableLogSending: false });
    expect(configOf(id, { OTEL_LOGS_EXPORTER: 'console' })).toMatchObject({ disableLogSending: false });
  });

  it('a configuration file\'s own option wins', () => {
    expect(configOf(id, {}, { [id]: { disableLogSending: false } })).toMatchObject({ disableLogSending: false });
  });
});

it('other upstream instrumentations get only the configuration file\'s options', () => {
  expect(configOf('koa', {})).not.toHaveProperty('disableLogSending');
});
