// Run by the agent at process exit with spawnSync: posts one serialized OTLP request and exits.
// Its own process has an event loop, which the exiting process no longer has; the agent waits for it.
// Everything arrives on stdin (one JSON line with the request, then the body): headers carry the
// collector's credentials, and a command line is readable by every local user (/proc/<pid>/cmdline).
import { readFileSync } from 'node:fs';
import { sendOnce, type OneShotRequest } from './one-shot-send';

/** stdin: the request as one JSON line, then the body's bytes. */
export function encodeExitInput(req: OneShotRequest, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(req) + '\n'), body]);
}

function decodeExitInput(input: Buffer): { req: OneShotRequest; body: Buffer } {
  const newline = input.indexOf(0x0a);
  if (newline < 0) throw new Error('no request on stdin');
  return { req: JSON.parse(input.subarray(0, newline).toString('utf8')) as OneShotRequest, body: input.subarray(newline + 1) };
}

if (require.main === module) {
  Promise.resolve()
    .then(() => {
      const { req, body } = decodeExitInput(readFileSync(0));
      return sendOnce(req, body);
    })
    .then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(err instanceof Error ? err.message : String(err));
        process.exit(1);
      },
    );
}
