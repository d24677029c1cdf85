// The doctor's settings table: every effective setting, its value (secrets redacted) and the variable it came from.
import type { AgentConfig, OtlpExporterConfig, TraceExporterConfig } from '../../config';
import { redactText } from '../../redaction/text';
import { readAppPackage } from '../../runtime/environment';
import { redactHeaders, redactUrl } from '../redact';
import { SETTINGS } from '../../config/settings';

export interface SettingRow {
  setting: string;
  value: string;
  /** The variable that set it, 'default', or 'default (VAR is invalid)'. */
  from: string;
}

type Env = Readonly<Record<string, string | undefined>>;


/**
 * config.sources records the settings whose origin resolveConfig decides in several steps (service
 * name, exporters, endpoint, protocol, sampler); the rest come from one variable (or a signal-specific
 * one before a generic one), which this finds the same way resolveConfig reads them: a set, non-blank
 * variable wins, unless resolveConfig rejected its value, in which case the default applied.
 */
export function settingRows(config: AgentConfig, env: Env, rejectedNames: readonly string[], instrumentationsHere?: readonly string[], cwd: string = process.cwd()): SettingRow[] {
  const isSet = (name: string) => (env[name] ?? '').trim() !== '';
  const rejected = (name: string) => rejectedNames.includes(name);
  const from = (...names: string[]): string => {
    const invalid: string[] = [];
    for (const name of names) {
      if (!isSet(name)) continue;
      if (!rejected(name)) return invalid.length > 0 ? `${name} (${invalid.join(', ')} is invalid)` : name;
      invalid.push(name);
    }
    return invalid.length > 0 ? `default (${invalid.join(', ')} is invalid)` : 'default';
  };
  const rows: SettingRow[] = [];
  const row = (setting: string, value: string, source: string) => rows.push({ setting, value, from: source });
  const src = config.sources;

  row('enabled', config.enabled ? 'true' : `false (${config.disabledBy})`, config.enabled ? from('OTEL_SDK_DISABLED', 'KAR_TELEMETRY_ENABLED') : config.configFile !== undefined ? 'OTEL_CONFIG_FILE' : (config.disabledBy ?? '').split('=')[0]);
  // What a program started here would get: the package.json the agent finds from the working
  // directory ('' for the entry: not this command's own script; a program's main script may sit
  // elsewhere, with its own package.json).
  const app = readAppPackage('', cwd);
  if (config.serviceName !== undefined) row('service.name', config.serviceName, src['service.name']?.from ?? 'default');
  else row('service.name', app.name ?? 'unknown_service:node', app.name !== undefined ? 'default ("name" of the package.json above the working directory)' : 'default (no package.json with a "name" above the working directory)');
  const versionFrom = config.serviceVersion === undefined ? 'default' : /(^|,)\s*service\.version\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '') ? 'OTEL_RESOURCE_ATTRIBUTES' : from('KAR_TELEMETRY_SERVICE_VERSION');
  row('service.version', config.serviceVersion ?? app.version ?? 'none', config.serviceVersion === undefined && app.version !== undefined ? 'default ("version" of the package.json above the working directory)' : versionFrom === 'default' && config.serviceVersion !== undefined ? 'default (KubeVirt runner)' : versionFrom);
  for (const [key, value] of Object.entries(config.resourceAttributes)) row(`resource: ${key}`, redactText(value), 'OTEL_RESOURCE_ATTRIBUTES');
  row('resource detectors', config.resourceDetectors.join(',') || 'none', from('OTEL_NODE_RESOURCE_DETECTORS'));

  row('traces exporter', src['traces.exporter']?.value ?? 'none', src['traces.exporter']?.from ?? 'default');
  for (const [i, exporter] of config.traceExporters.entries()) {
    const exporterFrom = config.configFile !== undefined ? src[`traces.exporter.${i}`]?.from : undefined;
    rows.push(...exporterRows(exporter, src, from, env).map((r) => (exporterFrom ? { ...r, from: r.setting === 'trace file' ? `${config.configFile}: ${r.from}` : exporterFrom } : r)));
  }

  row('sampler', src.sampler?.value ?? config.sampler.kind, src.sampler?.from ?? 'default');
  // Settings that one variable decides (or it, then a general one): label and value from the settings table.
  const tableRows = (group: 'standard' | 'batch and limits' | 'exporter' | 'agent') => {
    for (const setting of SETTINGS) {
      if (setting.group !== group || !setting.doctor) continue;
      const { label, value, fallback } = setting.doctor;
      row(label, value(config), fallback ? from(setting.name, fallback) : from(setting.name));
    }
  };
  tableRows('standard');
  tableRows('batch and limits');
  const instFrom = [from('OTEL_NODE_ENABLED_INSTRUMENTATIONS'), from('OTEL_NODE_DISABLED_INSTRUMENTATIONS')].filter((f) => f !== 'default');
  // Enabled is not the same as loaded: some apply only where they can (aws-lambda inside Lambda).
  const notHere = instrumentationsHere ? config.instrumentations.filter((id) => !instrumentationsHere.includes(id)) : [];
  const instValue = notHere.length > 0 ? `${config.instrumentations.length - notHere.length} apply here (${config.instrumentations.length} enabled; not here: ${notHere.join(', ')})` : `${config.instrumentations.length} enabled`;
  row('instrumentations', instValue, instFrom.join(', ') || 'default');
  tableRows('exporter');
  tableRows('agent');
  if (config.processSpan !== undefined) row('process span', config.processSpan, from('OTEL_AGENT_PROCESS_SPAN'));
  if (config.processSpanName !== undefined) row('process span name', config.processSpanName, 'OTEL_AGENT_PROCESS_SPAN_NAME');
  if (config.childProcessPropagation !== undefined) row('child process propagation', String(config.childProcessPropagation), from('OTEL_AGENT_CHILD_PROCESS_PROPAGATION'));
  if (config.functionSpans?.length) row('function spans', `${config.functionSpans.length} module(s)`, 'OTEL_AGENT_FUNCTION_SPANS');
  if (config.commandRulesFile !== undefined) row('command rules file', config.commandRulesFile, 'OTEL_AGENT_COMMAND_RULES');
  if (config.redaction !== undefined) {
    const extra = config.redaction.extraFlags.length > 0 ? ` (+ ${config.redaction.extraFlags.join(',')})` : '';
    row('redaction', `${config.redaction.enabled ? 'on' : 'off'}${extra}`, [from('OTEL_AGENT_REDACTION'), from('OTEL_AGENT_REDACT_FLAGS')].filter((f) => f !== 'default').join(', ') || 'default');
  }
  // With OTEL_CONFIG_FILE every setting comes from the file: the path in the document that sets it
  // (or would, marked "not set"), as config-file.ts recorded it.
  if (config.configFile !== undefined) {
    const file = config.configFile;
    // A file the agent could not use: nothing else applies, the warning says why.
    if (!config.enabled && config.disabledBy?.startsWith('OTEL_CONFIG_FILE')) return [{ setting: 'enabled', value: 'false', from: `OTEL_CONFIG_FILE=${file} (see the warning)` }];
    return rows.map((r) =>
      r.from.startsWith(`${file}: `) ? r : { ...r, from: src[r.setting]?.from ?? `${file} (not set: default)` },
    );
  }
  return rows;
}

function exporterRows(
  exporter: TraceExporterConfig,
  src: AgentConfig['sources'],
  from: (...names: string[]) => string,
  env: Env,
): SettingRow[] {
  switch (exporter.kind) {
    case 'otlp':
      return otlpRows(exporter, src, from, env);
    case 'file': {
      const t = exporter.target;
      const where = t.kind === 'file' ? t.path : t.kind === 'dir' ? `${t.dir} (one file per process)` : 'stdout';
      return [
        { setting: 'trace file', value: where, from: exporter.sourceVariable },
        { setting: 'trace file format', value: exporter.format, from: t.kind === 'stdout' ? 'default' : from('OTEL_AGENT_TRACE_FILE_FORMAT') },
      ];
    }
    case 'zipkin':
      return [{ setting: 'zipkin endpoint', value: redactUrl(exporter.url), from: from('OTEL_EXPORTER_ZIPKIN_ENDPOINT') }];
    case 'console':
      return [];
  }
}

function otlpRows(exporter: OtlpExporterConfig, src: AgentConfig['sources'], from: (...names: string[]) => string, env: Env): SettingRow[] {
  const rows: SettingRow[] = [
    { setting: 'otlp endpoint', value: redactUrl(exporter.url), from: src['otlp.endpoint']?.from ?? 'default' },
    { setting: 'otlp protocol', value: exporter.protocol, from: src['otlp.protocol']?.from ?? 'default' },
  ];
  if (Object.keys(exporter.headers).length > 0) {
    const origins = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'].filter((n) => (env[n] ?? '').trim() !== '');
    if (exporter.headers.Authorization !== undefined && ['OTEL_EXPORTER_JAEGER_USER', 'OTEL_EXPORTER_JAEGER_PASSWORD'].some((n) => (env[n] ?? '').trim() !== '')) {
      origins.push('OTEL_EXPORTER_JAEGER_USER/PASSWORD (mapped)');
    }
    rows.push({ setting: 'otlp headers', value: redactHeaders(exporter.headers), from: origins.join(', ') || 'default' });
  }
  rows.push(
    { setting: 'otlp timeout (ms)', value: String(exporter.timeoutMillis), from: from('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT') },
    { setting: 'otlp compression', value: exporter.compression, from: from('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION') },
  );
  return rows;
}
