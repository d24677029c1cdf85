// Redaction of secrets in values the agent records: command-line arguments, URLs, key=value pairs.
// The rules for values are in secrets.ts, the parsing of commands and shell scripts in command-line.ts.
export * from './secrets';
export * from './command-line';
