// Public surface of the file exporter: the exporter, its options, and kops' framing for readers.
export {
  FileSpanExporter,
  traceFileNameForProcess,
  type FileSpanExporterOptions,
  type FileSpanExporterTarget,
  type TraceFileFormat,
} from './file-span-exporter';
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
