// Public surface of the trace-file writer: the exporter, its options, and kops' framing.
export {
  FileSpanExporter,
  traceFileNameForProcess,
  type FileSpanExporterOptions,
  type FileSpanExporterTarget,
} from './file-span-exporter';
export type { TraceFileFormat } from './format';
export { crc32c } from './crc32c';
export {
  decodeObjectType,
  encodeKopsRecord,
  encodeObjectType,
  readKopsHeader,
  EXPORT_TRACE_REQUEST_TYPE_NAME,
  KOPS_HEADER_BYTES,
  KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST,
  KOPS_TYPE_CODE_OBJECT_TYPE,
  type KopsObjectType,
  type KopsRecordHeader,
} from './kops-framing';
