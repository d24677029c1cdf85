#!/usr/bin/env node
// The `otel-agent` command. Its subcommands (run, doctor, replay, view) are not built yet; the name is reserved.
const { version } = require('../../package.json') as { version: string };

const USAGE = `otel-agent ${version}

Usage: load the agent into any Node program:
  node --import @org/otel-agent app.js
  NODE_OPTIONS="--import @org/otel-agent" npm start

Commands (coming in a later release): run, doctor, replay, view.
`;

const [command] = process.argv.slice(2);
if (command === '--version' || command === '-v') {
  process.stdout.write(`${version}\n`);
} else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(USAGE);
} else {
  process.stderr.write(`otel-agent: unknown command "${command}"\n\n${USAGE}`);
  process.exitCode = 2;
}
