// Expands the file and directory arguments of `replay` and `view` into the trace files to read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args';

/**
 * Files as given; a directory stands for every regular file directly in it, sorted by name (a
 * trace directory holds one file per process, not subdirectories). Hidden files are skipped. A path
 * that cannot be looked at is kept: reading it fails and is reported with the other unreadable files.
 */
export function expandInputs(args: readonly string[]): string[] {
  if (args.length === 0) throw new UsageError('no trace file or directory given');
  const out: string[] = [];
  for (const arg of args) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(arg);
    } catch {
      // Missing or not accessible: the command reports it when reading, like an unreadable file
      // (one problem line naming it, exit code 1), rather than as a usage error.
      out.push(arg);
      continue;
    }
    if (!stat.isDirectory()) {
      out.push(arg);
      continue;
    }
    const names = fs
      .readdirSync(arg, { withFileTypes: true })
      .filter((d) => !d.name.startsWith('.') && (d.isFile() || (d.isSymbolicLink() && isFile(path.join(arg, d.name)))))
      .map((d) => d.name)
      .sort();
    out.push(...names.map((name) => path.join(arg, name)));
  }
  return out;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
