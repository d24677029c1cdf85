// Instrumentation scope of the agent's HTTP instrumentation.
export const PACKAGE_NAME = '@org/otel-agent/instrumentation-http';
export const PACKAGE_VERSION = '0.1.0';
