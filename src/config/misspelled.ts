// Near misses: a variable that looks like one the agent reads (OTEL_SERVICENAME, OTEL_TRACE_EXPORTER) gets one warning naming it.
import type { Env } from './env-reader';
import { OTHER_KNOWN_VARIABLES, SETTING_NAMES } from './settings';

const KNOWN = new Set([...SETTING_NAMES, ...OTHER_KNOWN_VARIABLES]);
/** The agent's variables, each with its name without underscores (`OTEL_SERVICENAME` is `OTEL_SERVICE_NAME` squeezed). */
const CANDIDATES = [...SETTING_NAMES].map((name) => ({ name, squeezed: name.replace(/_/g, '') }));
/** Only names that start like the agent's can be meant for it; other programs' variables are never looked at. */
const OURS = /^(OTEL|KAR)_/i;
/** An environment is small, but never let a huge one cost start-up time. */
const MAX_CHECKED = 500;

/** One warning per set variable that is not one the agent reads but is one or two edits away from one. */
export function misspelledVariables(env: Env): string[] {
  const warnings: string[] = [];
  let checked = 0;
  for (const name of Object.keys(env)) {
    if (!OURS.test(name) || KNOWN.has(name) || env[name] === undefined) continue;
    if (++checked > MAX_CHECKED) break;
    const meant = closest(name);
    if (meant === undefined) continue;
    const why = meant === name.toUpperCase() ? ' (variable names are case-sensitive)' : '';
    warnings.push(`${name} is not a variable the agent reads, so it is ignored: did you mean ${meant}?${why}`);
  }
  return warnings;
}

function closest(name: string): string | undefined {
  const upper = name.toUpperCase();
  const squeezed = upper.replace(/_/g, '');
  // Longer names tolerate two edits; short ones one, so OTEL_FOO is not read as some OTEL_*_DIR.
  const budget = upper.length >= 14 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of CANDIDATES) {
    if (candidate.squeezed === squeezed) return candidate.name;
    if (Math.abs(candidate.name.length - upper.length) > budget) continue;
    const distance = editDistance(upper, candidate.name, budget);
    if (distance < bestDistance) [best, bestDistance] = [candidate.name, distance];
  }
  return bestDistance <= budget ? best : undefined;
}

/** Edits (insert, delete, substitute, swap of neighbours) from a to b; anything above `limit` is reported as limit + 1. */
export function editDistance(a: string, b: string, limit: number): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    [before, previous] = [previous, current];
  }
  return Math.min(previous[b.length], limit + 1);
}
