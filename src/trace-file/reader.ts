// Public surface of the trace-file reader.
export { parseTraceFile, readTraceFile, type TraceFileContents, type TraceFileError } from './read-trace-file';
export { decodeExportTraceServiceRequest } from './otlp-protobuf';
export * from './otlp-json';
export { ReadableSpanConverter, hrTime } from './to-readable-span';
