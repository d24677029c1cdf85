// CRC-32C (Castagnoli), the checksum kops' trace files carry in each record header.

// Reflected form of the Castagnoli polynomial 0x1EDC6F41, as Go's crc32.Castagnoli uses it.
const CASTAGNOLI_REFLECTED = 0x82f63b78;

// One 256-entry table, built at load: a few microseconds, and it keeps the module dependency-free
// (node:zlib's crc32 is the IEEE polynomial, which kops' reader would not accept).
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `data` (or of `data[start, end)`), as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
