// `otel-agent doctor [--json]`: the configuration the agent would run with here, where each setting came from, and whether tracing can work.
import { resolveConfig } from '../config';
import { INSTRUMENTATIONS } from '../instrumentations/registry';
import { parseArgs, stringOption, UsageError, type OptionSpec } from './args';
import { checkDestinations, checkNode, type CheckResult, type Destination } from './doctor/checks';
import { settingRows, type SettingRow } from './doctor/settings';
import { style } from './style';

export const DOCTOR_USAGE = `Usage: otel-agent doctor [--json] [--timeout <ms>]

Shows the configuration the agent would run with in this environment: every setting, its value
(secrets redacted) and the variable it came from; warnings for bad values; the Node.js version
check; whether each destination takes spans (an empty OTLP export request, bounded by --timeout,
default 2000 ms; for files, whether the path is writable); and the instrumentations that would load.
Exit code 1 when tracing could not work as configured, else 0 (also when the agent is switched off).
`;

const SPEC: OptionSpec = { json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

export interface DoctorReport {
  ok: boolean;
  node: CheckResult & { version: string };
  enabled: boolean;
  disabledBy?: string;
  settings: SettingRow[];
  warnings: string[];
  destinations: Destination[];
  /** Ids of the instrumentations that would load (each when its library is first loaded). */
  instrumentations: string[];
  /** Why tracing would not work as configured; empty when it would. */
  problems: string[];
}

export async function buildReport(env: NodeJS.ProcessEnv, timeoutMillis: number): Promise<DoctorReport> {
  const { config, warnings, rejected = [] } = resolveConfig(env, { knownInstrumentations: INSTRUMENTATIONS });
  const node = { version: process.versions.node, ...checkNode() };
  const problems: string[] = [];
  if (!node.ok) problems.push(node.message);
  if (config.configFile !== undefined) {
    // The file is the configuration: other tracing variables only count through its ${VAR} references.
    const ignored = Object.keys(env).filter((k) => /^(OTEL_|KAR_TELEMETRY_)/.test(k) && k !== 'OTEL_CONFIG_FILE' && (env[k] ?? '').trim() !== '').sort();
    if (ignored.length > 0) warnings.push(`OTEL_CONFIG_FILE is set, so these variables are ignored (they count only where the file references them as \${VAR}): ${ignored.join(', ')}`);
    // A file the agent cannot use switches it off: that is a fault, not a choice.
    if (!config.enabled && config.disabledBy?.startsWith('OTEL_CONFIG_FILE')) problems.push(warnings[0]);
  }
  // A switched-off agent is a choice, not a fault: nothing to probe.
  const destinations = config.enabled ? await checkDestinations(config.traceExporters, timeoutMillis) : [];
  for (const d of destinations) if (!d.check.ok) problems.push(`${d.target}: ${d.check.message}`);
  const enabledIds = new Set(config.instrumentations);
  const instrumentations = INSTRUMENTATIONS.filter((e) => enabledIds.has(e.id) && (e.applies?.() ?? true)).map((e) => e.id);
  return {
    ok: problems.length === 0,
    node,
    enabled: config.enabled,
    ...(config.disabledBy ? { disabledBy: config.disabledBy } : {}),
    settings: settingRows(config, env, rejected, config.enabled ? instrumentations : undefined),
    warnings,
    destinations,
    instrumentations: config.enabled ? instrumentations : [],
    problems,
  };
}

export async function doctor(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv, SPEC);
  if (parsed.options.help) {
    process.stdout.write(DOCTOR_USAGE);
    return 0;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`doctor takes no arguments (got ${parsed.positionals[0]})`);
  const timeoutText = stringOption(parsed, 'timeout');
  const timeout = timeoutText === undefined ? 2000 : Number(timeoutText);
  if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--timeout ${timeoutText} is not a positive number of milliseconds`);
  const report = await buildReport(process.env, timeout);
  process.stdout.write(parsed.options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, style(process.stdout)));
  return report.ok ? 0 : 1;
}

export function formatReport(report: DoctorReport, s: ReturnType<typeof style>): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? s.green('ok  ') : s.red('FAIL'));
  lines.push(`${s.bold('Node.js')}      ${mark(report.node.ok)} ${report.node.message}`);
  const fileProblem = report.disabledBy?.startsWith('OTEL_CONFIG_FILE (');
  const offLine = fileProblem ? `${s.red('off ')} the configuration file cannot be used: programs run untraced (see the warning)` : `${s.yellow('off ')} switched off by ${report.disabledBy}: programs run untraced (not an error)`;
  lines.push(`${s.bold('Agent')}        ${report.enabled ? `${s.green('on  ')}` : offLine}`);
  lines.push('', s.bold('Settings'));
  const w1 = Math.max(...report.settings.map((r) => r.setting.length));
  const w2 = Math.min(48, Math.max(...report.settings.map((r) => r.value.length)));
  // Long values (paths, URLs) are never cut: they push their own row's source to the right.
  for (const r of report.settings) lines.push(`  ${r.setting.padEnd(w1)}  ${r.value.padEnd(w2)}  ${s.dim(r.from)}`);
  if (report.warnings.length > 0) {
    lines.push('', s.bold(`Warnings (${report.warnings.length})`));
    for (const w of report.warnings) lines.push(`  ${s.yellow('!')} ${w}`);
  }
  if (report.enabled) {
    lines.push('', s.bold('Destinations'));
    if (report.destinations.length === 0) lines.push('  none: OTEL_TRACES_EXPORTER=none, no spans are exported');
    for (const d of report.destinations) lines.push(`  ${mark(d.check.ok)} ${d.target}: ${d.check.message}`);
    lines.push('', s.bold(`Instrumentations that apply here (${report.instrumentations.length}; each loads when the program first loads its library)`));
    lines.push(...wrap(report.instrumentations.join(', '), 96).map((l) => `  ${l}`));
  }
  lines.push('');
  if (report.ok) lines.push(s.green(report.enabled ? 'Tracing works as configured.' : 'The agent is off; nothing to check.'));
  else lines.push(s.red(`Tracing would not work as configured (${report.problems.length} problem${report.problems.length > 1 ? 's' : ''}):`), ...report.problems.map((p) => `  - ${p}`));
  return `${lines.join('\n')}\n`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}
