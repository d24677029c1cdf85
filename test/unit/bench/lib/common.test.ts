// Tests for the benchmarks' shared helpers: where a run writes its results.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../../../helpers/run-app';
// @ts-expect-error: plain JavaScript module without types
import { resultsPath, TRACKED_RESULTS } from '../../../../bench/lib/common.mjs';

describe('resultsPath', () => {
  it('writes to the gitignored bench/out/RESULTS.md by default, the tracked file only when asked', () => {
    const out = path.join(REPO_ROOT, 'bench', 'out', 'RESULTS.md');
    expect(resultsPath(['node', 'bench/http.mjs'], {})).toBe(out);
    expect(resultsPath(['node', 'bench/all.mjs', '--write-results'], {})).toBe(TRACKED_RESULTS);
    expect(resultsPath(['node', 'bench/http.mjs'], { BENCH_WRITE_RESULTS: '1' })).toBe(TRACKED_RESULTS);
    expect(TRACKED_RESULTS).toBe(path.join(REPO_ROOT, 'bench', 'RESULTS.md'));
    // A default run leaves the work tree clean: git ignores the output file.
    expect(execFileSync('git', ['check-ignore', out], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()).toBe(out);
  });
});
