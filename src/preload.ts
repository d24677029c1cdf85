// Starts the agent in a preloaded process: checks the Node version, then starts it. The bundled folder's entry.
const MIN_NODE = [22, 15] as const;

function nodeIsSupported(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

if (nodeIsSupported(process.versions.node)) {
  (require('./agent') as typeof import('./agent')).start();
} else {
  // Nothing else is loaded (the OpenTelemetry SDK 3 line itself needs Node 22.15): the logger only,
  // which also survives a closed stderr.
  (require('./runtime/logging') as typeof import('./runtime/logging')).warn(
    `Node.js ${process.versions.node} is not supported (needs >= ${MIN_NODE.join('.')}); tracing is off and the program runs untouched`,
  );
}
