// Reads a trace file written by the file exporter (or by kops) back into OTLP/JSON TracesData objects.
import * as fs from 'node:fs';
import { crc32c } from './crc32c';
import type { TraceFileFormat } from './format';
import {
  decodeObjectType,
  EXPORT_TRACE_REQUEST_TYPE_NAME,
  KOPS_HEADER_BYTES,
  KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST,
  KOPS_TYPE_CODE_OBJECT_TYPE,
  readKopsHeader,
} from './kops-framing';
import { decodeExportTraceServiceRequest } from './otlp-protobuf';

export interface TraceFileError {
  /** "line 3" (JSON Lines, 1-based) or "record 2 at byte 1234" (kops: 1-based record, 0-based byte offset). */
  position: string;
  message: string;
}

export interface TraceFileContents {
  format: TraceFileFormat;
  /** One OTLP/JSON-shaped TracesData object (`{ resourceSpans: [...] }`) per good line or record. */
  requests: unknown[];
  /** Where each request was found ("line 3", "record 2 at byte 1234"), parallel to `requests`. */
  positions: string[];
  /** Lines or records that could not be read; each was skipped and reading went on. */
  errors: TraceFileError[];
}

/**
 * Reads `path`, detecting the format from its content: kops framing starts with a header whose type
 * code is 1 (ObjectType), JSON Lines with `{`. Damage is reported in `errors`, never thrown; only
 * failing to read the file at all (missing, unreadable) throws.
 */
export function readTraceFile(path: string): TraceFileContents {
  return parseTraceFile(fs.readFileSync(path));
}

/** As readTraceFile, for bytes already in memory. */
export function parseTraceFile(data: Uint8Array): TraceFileContents {
  const scan = newScan(data);
  return detectFormat(data, scan) === 'kops' ? parseKops(data, scan) : parseJsonLines(data);
}

/**
 * Looking for the next intact record checks the CRC of every plausible header, over the payload
 * that header announces. In real damage plausible headers are rare; a file made of fake headers
 * would make every offset cost a checksum over the rest of the file (quadratic: 41 s for 1 MiB).
 * One budget of checksummed bytes per file, a few times its size, keeps reading linear; when it is
 * spent, the rest of the file is reported as skipped.
 */
interface Scan {
  crcBytesLeft: number;
  candidates: number;
}

const SCAN_BUDGET_FACTOR = 4;
const SCAN_BUDGET_MIN = 4 * 1024 * 1024;

function newScan(data: Uint8Array): Scan {
  return { crcBytesLeft: SCAN_BUDGET_FACTOR * data.length + SCAN_BUDGET_MIN, candidates: 0 };
}

/** findNextRecord's answer when the scan budget ran out before an intact record was found. */
const GAVE_UP = -2;

function detectFormat(data: Uint8Array, scan: Scan): TraceFileFormat {
  if (data.length >= KOPS_HEADER_BYTES) {
    const header = readKopsHeader(data, 0);
    if (header.flags === 0 && header.typeCode === KOPS_TYPE_CODE_OBJECT_TYPE) return 'kops';
  }
  const first = data.findIndex((byte) => !isJsonWhitespace(byte));
  if (first === -1 || data[first] === 0x7b /* { */) return 'jsonl';
  // Neither signature: a kops file whose first record is damaged still has intact records later.
  // A budget spent on plausible headers means a file of them: kops-like, and reported as such.
  const next = findNextRecord(data, 0, new Set([KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST]), scan);
  return next >= 0 || next === GAVE_UP ? 'kops' : 'jsonl';
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function parseJsonLines(data: Uint8Array): TraceFileContents {
  const result: TraceFileContents = { format: 'jsonl', requests: [], positions: [], errors: [] };
  const lines = Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8').split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const position = `line ${index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      const last = index === lines.length - 1;
      const message = `invalid JSON${last ? ' (last line, no newline: truncated?)' : ''}: ${(err as Error).message}`;
      result.errors.push({ position, message });
      return;
    }
    const problem = notTracesData(parsed);
    if (problem) result.errors.push({ position, message: problem });
    else {
      result.requests.push(parsed);
      result.positions.push(position);
    }
  });
  return result;
}

function notTracesData(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  if (!Array.isArray((value as { resourceSpans?: unknown }).resourceSpans)) return 'no resourceSpans array';
  return undefined;
}

function parseKops(data: Uint8Array, scan: Scan): TraceFileContents {
  const result: TraceFileContents = { format: 'kops', requests: [], positions: [], errors: [] };
  // Type codes declared by ObjectType records. kops' own reader assumes 32 is the trace request,
  // so a file without the declaration is read the same way.
  const typeNames = new Map<number, string>([[KOPS_TYPE_CODE_EXPORT_TRACE_REQUEST, EXPORT_TRACE_REQUEST_TYPE_NAME]]);
  const knownCodes = () => new Set(typeNames.keys());
  let offset = 0;
  let record = 0;

  while (offset < data.length) {
    record++;
    const position = `record ${record} at byte ${offset}`;
    const problem = checkRecordAt(data, offset);

    if (problem !== undefined) {
      // The header cannot be trusted to say where the next record starts when the payload is bad
      // but the length may be fine (a flipped payload byte): try that first, then scan.
      const declaredEnd = problem.declaredEnd;
      let next: number;
      if (declaredEnd !== undefined && (declaredEnd === data.length || checkRecordAt(data, declaredEnd) === undefined)) {
        next = declaredEnd;
      } else {
        next = findNextRecord(data, offset + 1, knownCodes(), scan);
      }
      if (next === GAVE_UP) {
        result.errors.push({
          position,
          message: `${problem.message}; no intact record found after checking ${scan.candidates} plausible headers (the scan limit for a file this size), the remaining ${data.length - offset} bytes are skipped`,
        });
        break;
      }
      if (next < 0) {
        result.errors.push({ position, message: `${problem.message}; no intact record follows, the remaining ${data.length - offset} bytes are skipped` });
        break;
      }
      const skipped = next - offset;
      const skippedNote = next === declaredEnd ? '' : `; skipped ${skipped} bytes to the next intact record at byte ${next}`;
      result.errors.push({ position, message: problem.message + skippedNote });
      offset = next;
      continue;
    }

    const header = readKopsHeader(data, offset);
    const payload = data.subarray(offset + KOPS_HEADER_BYTES, offset + KOPS_HEADER_BYTES + header.payloadLength);
    offset += KOPS_HEADER_BYTES + header.payloadLength;

    if (header.typeCode === KOPS_TYPE_CODE_OBJECT_TYPE) {
      try {
        const objectType = decodeObjectType(payload);
        typeNames.set(objectType.typeCode, objectType.typeName);
      } catch (err) {
        result.errors.push({ position, message: `invalid ObjectType record: ${(err as Error).message}` });
      }
      continue;
    }
    const typeName = typeNames.get(header.typeCode);
    if (typeName !== EXPORT_TRACE_REQUEST_TYPE_NAME) {
      const what = typeName === undefined ? 'undeclared type code' : `type ${typeName}, code`;
      result.errors.push({ position, message: `skipped record of ${what} ${header.typeCode}` });
      continue;
    }
    try {
      result.requests.push(decodeExportTraceServiceRequest(payload));
      result.positions.push(position);
    } catch (err) {
      result.errors.push({ position, message: `invalid ExportTraceServiceRequest: ${(err as Error).message}` });
    }
  }
  return result;
}

interface RecordProblem {
  message: string;
  /** Where the record would end by its header, when the header is plausible and fits in the file. */
  declaredEnd?: number;
}

// Checks the framing of the record at `offset` (header sanity, length, CRC), not its payload.
function checkRecordAt(data: Uint8Array, offset: number): RecordProblem | undefined {
  const left = data.length - offset;
  if (left < KOPS_HEADER_BYTES) {
    return { message: `truncated header: ${left} of ${KOPS_HEADER_BYTES} bytes at the end of the file` };
  }
  const header = readKopsHeader(data, offset);
  if (header.flags !== 0) return { message: `invalid header: flags ${header.flags}, expected 0` };
  const end = offset + KOPS_HEADER_BYTES + header.payloadLength;
  if (end > data.length) {
    return {
      message: `truncated record: header announces ${header.payloadLength} payload bytes, ${left - KOPS_HEADER_BYTES} remain`,
    };
  }
  const actual = crc32c(data, offset + KOPS_HEADER_BYTES, end);
  if (actual !== header.checksum) {
    return { message: `CRC-32C mismatch: header says ${hex32(header.checksum)}, payload has ${hex32(actual)}`, declaredEnd: end };
  }
  return undefined;
}

// First offset >= `from` holding an intact record of a known type. The CRC check makes a false
// match inside damaged data practically impossible; the cheap header tests come first.
// Returns -1 when there is none, GAVE_UP when the scan budget ran out first.
function findNextRecord(data: Uint8Array, from: number, typeCodes: Set<number>, scan: Scan): number {
  for (let offset = from; offset + KOPS_HEADER_BYTES <= data.length; offset++) {
    if (data[offset + 8] | data[offset + 9] | data[offset + 10] | data[offset + 11]) continue; // flags
    const header = readKopsHeader(data, offset);
    if (header.typeCode !== KOPS_TYPE_CODE_OBJECT_TYPE && !typeCodes.has(header.typeCode)) continue;
    // An empty record has CRC 0, so zero bytes followed by a type code would pass; writers never
    // emit empty records, and refusing them keeps runs of zeros from looking like records.
    if (header.payloadLength === 0) continue;
    if (offset + KOPS_HEADER_BYTES + header.payloadLength > data.length) continue; // cut off: no checksum to compute
    if (scan.crcBytesLeft < header.payloadLength) return GAVE_UP;
    scan.crcBytesLeft -= header.payloadLength;
    scan.candidates++;
    if (checkRecordAt(data, offset) === undefined) return offset;
  }
  return -1;
}

function hex32(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(8, '0');
}
