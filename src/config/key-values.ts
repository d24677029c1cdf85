// `k1=v1,k2=v2` lists with percent-encoded parts (W3C baggage style), parsed once for the variables, the configuration file and the CLI.

export interface KeyValueList {
  values: Record<string, string>;
  /** Entries with no `key=` (as written; they may hold a secret: callers decide what to show). */
  malformed: string[];
  /** Entries whose key or value is not percent-encoded correctly (as written). */
  badEncoding: string[];
}

export function parseKeyValueList(text: string): KeyValueList {
  const list: KeyValueList = { values: {}, malformed: [], badEncoding: [] };
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (key === '') {
      list.malformed.push(entry);
      continue;
    }
    try {
      list.values[decodeURIComponent(key)] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      list.badEncoding.push(entry);
    }
  }
  return list;
}
