// @org/otel-agent's instrumentation of @kubernetes/client-node (see README.md in this folder).
export { KubernetesClientInstrumentation } from './kubernetes-client';
export type { KubernetesInstrumentationConfig, KubernetesRequestHookInfo, KubernetesRequestInfo } from './types';
export { parseRequest, spanNameOf } from './request-info';
export * from './semconv';
