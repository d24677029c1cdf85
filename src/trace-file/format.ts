// The two trace-file formats the agent writes and reads: JSON Lines of OTLP/JSON, and kops' framed protobuf.
export type TraceFileFormat = 'jsonl' | 'kops';
