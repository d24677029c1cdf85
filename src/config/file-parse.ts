// Parses an OTEL_CONFIG_FILE document: YAML, ${VAR} substitution from an environment snapshot, upstream's schema validation.
import * as path from 'node:path';
import type { ConfigurationModel } from '@opentelemetry/configuration';
import type { Env } from './env-reader';

/** What is wrong with a configuration file; the message names the file (and the path in it when known). */
export class ConfigFileError extends Error {}

/** The file_format major version upstream's schema describes (1.x; a newer minor may carry ignored keys). */
const SUPPORTED_MAJOR = 1;

type Yaml = typeof import('yaml');
type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

let loaded: { yaml: Yaml; validate: Validate } | undefined;

/**
 * @opentelemetry/configuration's generated JSON-schema validator and its YAML parser. Its own
 * parseConfigFile() reads OTEL_CONFIG_FILE and substitutes from process.env; the agent's config is a
 * pure function of an environment snapshot (doctor, tests, `config` use other ones), so the same steps
 * run here with the snapshot, using the package's validator and the yaml copy it depends on.
 */
function load(): { yaml: Yaml; validate: Validate } {
  if (loaded) return loaded;
  const dir = path.dirname(require.resolve('@opentelemetry/configuration'));
  const yaml = require(require.resolve('yaml', { paths: [dir] })) as Yaml;
  const validate = (require(path.join(dir, 'generated', 'validator.cjs')) as { default: Validate }).default;
  loaded = { yaml, validate };
  return loaded;
}

/** The yaml module, for writing YAML (`otel-agent config --from-env`). */
export function yamlModule(): Yaml {
  return load().yaml;
}

/** The parsed, substituted and validated document (file_format removed, as upstream returns it). */
export function parseConfigText(text: string, file: string, env: Env): ConfigurationModel {
  const { yaml, validate } = load();
  const doc = yaml.parseDocument(text, { version: '1.2' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw new ConfigFileError(`${file}: not valid YAML${where}: ${e.message.split('\n')[0].replace(/:\s*$/, '')}`);
  }
  try {
    substituteEnvVars(yaml, doc, env);
  } catch (err) {
    throw new ConfigFileError(`${file}: ${(err as Error).message}`);
  }
  const data = doc.toJS() as Record<string, unknown> | null;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ConfigFileError(`${file}: the document is not a mapping`);
  checkFileFormat(file, data.file_format);
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    const first = errors[0];
    // JSON pointers escape "/" in keys (instrumentation/development) as ~1: shown as written in the file.
    const where = first ? (first.instancePath || '/').replace(/~1/g, '/').replace(/~0/g, '~') : '';
    const detail = first ? `${where} ${first.message ?? 'is invalid'}` : 'unknown error';
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    throw new ConfigFileError(`${file}: does not match the configuration schema: ${detail}${more}`);
  }
  delete data.file_format;
  return data as ConfigurationModel;
}

function checkFileFormat(file: string, format: unknown): void {
  if (typeof format !== 'string' || format === '') {
    throw new ConfigFileError(`${file}: file_format is missing (expected "${SUPPORTED_MAJOR}.x", e.g. "1.0")`);
  }
  const [major, minor = '0'] = format.split('-', 1)[0].split('.');
  if (!/^\d+$/.test(major) || !/^\d+$/.test(minor) || Number(major) !== SUPPORTED_MAJOR) {
    throw new ConfigFileError(`${file}: unsupported file_format "${format}" (this agent reads ${SUPPORTED_MAJOR}.x)`);
  }
}

// Environment substitution as the configuration data model specifies it (and as upstream implements
// it): ${NAME}, ${env:NAME}, ${NAME:-default}; $$ is a literal $; an unquoted substituted value is
// re-read as a YAML scalar (so ${RATIO:-0.5} is a number). Keys are never substituted.
const NAME_AND_DEFAULT = /^([a-zA-Z_][a-zA-Z0-9_]*)(?::-([^\n}]*))?$/;

function substituteEnvVars(yaml: Yaml, doc: import('yaml').Document, env: Env): void {
  yaml.visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const replaced = substitute(node.value, env);
      node.value = replaced !== node.value && node.type === 'PLAIN' ? coerce(yaml, replaced) : replaced;
    },
  });
}

function substitute(s: string, env: Env): string {
  return s
    .split('$$')
    .map((chunk) => substituteChunk(chunk, env))
    .join('$');
}

/**
 * Replaces each `${...}` (the text up to the first `}`, `env:` dropped) in one pass. A regular
 * expression `\$\{([^}]+)\}` rescans to the end of the text from every `${` that is never closed:
 * 50,000 of them in a file delayed the start by 9 to 15 s. Here, once no `}` follows, scanning stops.
 */
function substituteChunk(chunk: string, env: Env): string {
  let out = '';
  let from = 0;
  let close = -1;
  for (let open = chunk.indexOf('${'); open !== -1; open = chunk.indexOf('${', open + 1)) {
    if (open < from) continue;
    if (close <= open + 1) close = chunk.indexOf('}', open + 2);
    // No `}` after this `${`: none after any later one either.
    if (close === -1) break;
    // `${}`: not a reference (the body must not be empty); look on from the next character.
    if (close === open + 2) continue;
    const whole = chunk.slice(open, close + 1);
    const body = chunk.slice(open + 2, close);
    const m = NAME_AND_DEFAULT.exec(body.startsWith('env:') && body.length > 4 ? body.slice(4) : body);
    if (!m) throw new Error(`invalid substitution ${whole}`);
    out += chunk.slice(from, open) + (env[m[1]] || (m[2] ?? ''));
    from = close + 1;
  }
  return out + chunk.slice(from);
}

function coerce(yaml: Yaml, value: string): unknown {
  try {
    const parsed: unknown = yaml.parse(value, { version: '1.2' });
    return parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : value;
  } catch {
    return value;
  }
}
