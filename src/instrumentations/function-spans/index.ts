// Function spans by configuration (OTEL_AGENT_FUNCTION_SPANS).
export { startFunctionSpans, wrapFunction, resolveModuleTarget } from './function-spans';
export { parseFunctionSpans, type ModuleFunctionsSpec, type FunctionSpanSpec, type FunctionAttributeSpec } from './spec';
