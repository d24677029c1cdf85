// Instrumentation scope of the agent's Kubernetes client instrumentation.
export const PACKAGE_NAME = '@org/otel-agent/instrumentation-kubernetes';
export const PACKAGE_VERSION = '0.1.0';
