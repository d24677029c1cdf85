// The documentation holds together: the README stays a front page, and every relative link (file and #anchor) resolves.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

function markdownFiles(): string[] {
  const docs = existsSync(join(ROOT, 'docs')) ? readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f)) : [];
  const instrumentationReadmes = readdirSync(join(ROOT, 'src/instrumentations'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(ROOT, 'src/instrumentations', e.name, 'README.md')))
    .map((e) => join(ROOT, 'src/instrumentations', e.name, 'README.md'));
  return [join(ROOT, 'README.md'), ...(existsSync(join(ROOT, 'CONTRIBUTING.md')) ? [join(ROOT, 'CONTRIBUTING.md')] : []), ...docs, ...instrumentationReadmes];
}

/** GitHub's anchors: lower-cased heading text, punctuation dropped, spaces as hyphens; repeats get -1, -2. */
function anchors(text: string): Set<string> {
  const out = new Set<string>();
  let inCode = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const m = !inCode && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = m[1].trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
    let slug = base;
    for (let i = 1; out.has(slug); i++) slug = `${base}-${i}`;
    out.add(slug);
  }
  return out;
}

describe('documentation', () => {
  const files = markdownFiles();

  it('every relative link names a file that exists and, with #anchor, a heading in it', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target)) continue;
        const [path, anchor] = target.split('#');
        const linked = path === '' ? file : resolve(dirname(file), path);
        if (!existsSync(linked)) {
          broken.push(`${file.slice(ROOT.length + 1)}: ${target} (no such file)`);
          continue;
        }
        if (anchor && linked.endsWith('.md') && !anchors(readFileSync(linked, 'utf8')).has(anchor)) broken.push(`${file.slice(ROOT.length + 1)}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README is a front page of at most 250 lines; the rest is in docs/', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
    expect(readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).length).toBeGreaterThanOrEqual(10);
  });

  it('finds a broken link when there is one (the check can fail)', () => {
    expect(anchors('# A `b`: c\n## A `b`: c\n```\n# not a heading\n```')).toEqual(new Set(['a-b-c', 'a-b-c-1']));
  });
});
