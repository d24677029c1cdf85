#!/usr/bin/env node
// The `otel-agent` command: dispatches to run, doctor, config, replay and view; usage errors exit 2.
import { UsageError } from './args';

const { version } = require('../../package.json') as { version: string };

const USAGE = `otel-agent ${version}: the zero-code OpenTelemetry tracing agent for Node.js

Usage:
  otel-agent run [options] -- <command...>     run a command with the agent in every Node process it starts
  otel-agent doctor [--json]                   check the configuration in this environment
  otel-agent config --from-env                 print the environment's configuration as an OTEL_CONFIG_FILE document
  otel-agent replay <file|dir>... [options]    send trace files to an OTLP endpoint
  otel-agent view <file|dir>... [options]      show the traces in trace files as waterfalls
  otel-agent <command> --help                  options of a command

Without the command, load the agent into a Node program yourself:
  node --import @org/otel-agent app.js
  NODE_OPTIONS="--import @org/otel-agent" npm start
`;

type Command = (argv: readonly string[]) => number | Promise<number>;

// Each command's module is loaded only when used: `run` should start its child without loading the SDK.
const COMMANDS: Record<string, () => Command> = {
  run: () => (require('./run') as typeof import('./run')).run,
  doctor: () => (require('./doctor') as typeof import('./doctor')).doctor,
  config: () => (require('./config') as typeof import('./config')).config,
  replay: () => (require('./replay') as typeof import('./replay')).replay,
  view: () => (require('./view') as typeof import('./view')).view,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`otel-agent: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await load()(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`otel-agent ${command}: ${err.message}\n(see otel-agent ${command} --help)\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // exitCode, not exit(): stdout may still be draining into a pipe.
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`otel-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
