import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS, SETTING_NAMES, renderSettingsTable } from '../../../src/config/settings';
import { editDistance, misspelledVariables } from '../../../src/config/misspelled';
import { resolveConfig } from '../../../src/config';

const ROOT = resolve(__dirname, '../../..');

/** Every source file but the table and the near-miss finder, which name variables they do not read. */
function sourceTexts(dir: string): string[] {
  const skip = new Set(['settings.ts', 'misspelled.ts']);
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceTexts(join(dir, e.name)) : e.name.endsWith('.ts') && !skip.has(e.name) ? [readFileSync(join(dir, e.name), 'utf8')] : [],
  );
}

describe('the settings table', () => {
  it('lists every OTEL_* / KAR_TELEMETRY_* variable the code names', () => {
    const named = new Set(sourceTexts(join(ROOT, 'src')).flatMap((text) => [...text.matchAll(/\b(?:OTEL|KAR_TELEMETRY)_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])));
    // Prefixes (OTEL_BSP_, OTEL_EXPORTER_OTLP_) end with `_` and are not matched; these are names of other things.
    const notVariables = new Set(['OTEL_AGENT_VERSION']);
    const missing = [...named].filter((name) => !SETTING_NAMES.has(name) && !notVariables.has(name)).sort();
    expect(missing).toEqual([]);
  });

  it('has one row per name, each with a meaning', () => {
    expect(SETTING_NAMES.size).toBe(SETTINGS.length);
    for (const setting of SETTINGS) expect(setting.description.length, setting.name).toBeGreaterThan(5);
  });

  it('is what docs/configuration.md shows (npm run docs:settings rewrites it)', () => {
    expect(readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8')).toContain(renderSettingsTable());
  });
});

describe('misspelled variables', () => {
  it.each([
    ['OTEL_TRACE_EXPORTER', 'OTEL_TRACES_EXPORTER'],
    ['OTEL_SERVICENAME', 'OTEL_SERVICE_NAME'],
    ['OTEL_EXPORTR_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    ['OTEL_PROPAGATOR', 'OTEL_PROPAGATORS'],
    ['otel_service_name', 'OTEL_SERVICE_NAME'],
    ['KAR_TELEMETRY_ENABLE', 'KAR_TELEMETRY_ENABLED'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPIONT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
  ])('%s: one warning that names %s', (typo, meant) => {
    const warnings = misspelledVariables({ [typo]: 'x' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(typo);
    expect(warnings[0]).toContain(`did you mean ${meant}?`);
  });

  it('never warns for the agent\'s own, upstream\'s standard or other programs\' variables', () => {
    const env = Object.fromEntries(
      [
        ...SETTING_NAMES,
        'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
        'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL',
        'OTEL_BLRP_SCHEDULE_DELAY',
        'OTEL_METRIC_EXPORT_INTERVAL',
        'OTEL_EXPORTER_OTLP_INSECURE',
        'OTEL_SEMCONV_STABILITY_OPT_IN',
        'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
        'OTEL_COLLECTOR_CONFIG',
        'KARMA_BROWSERS',
        'KAR_RUNNER_NAME',
        'SERVICE_NAME',
        'OTELCOL_ARGS',
        'PATH',
      ].map((name) => [name, 'x']),
    );
    expect(misspelledVariables(env)).toEqual([]);
  });

  it('come through resolveConfig, as start-up and the doctor print them', () => {
    const { warnings, config } = resolveConfig({ OTEL_SERVICENAME: 'typo', OTEL_SERVICE_NAME: 'real' }, { knownInstrumentations: [] });
    expect(config.serviceName).toBe('real');
    expect(warnings).toEqual(['OTEL_SERVICENAME is not a variable the agent reads, so it is ignored: did you mean OTEL_SERVICE_NAME?']);
  });

  it('edit distance counts a swap of neighbours as one edit and stops past its limit', () => {
    expect(editDistance('OTEL_SERVCIE_NAME', 'OTEL_SERVICE_NAME', 2)).toBe(1);
    expect(editDistance('abc', 'abc', 2)).toBe(0);
    expect(editDistance('aaaaaaaa', 'bbbbbbbb', 2)).toBe(3);
  });
});
