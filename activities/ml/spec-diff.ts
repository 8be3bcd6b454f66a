/** Where two JSON-like values first differ (for "this study exists with another X" messages). */

export interface Difference {
  /** e.g. `space.x1.high`. */
  path: string;
  stored: string;
  given: string;
}

const show = (v: unknown): string => (v === undefined ? 'absent' : JSON.stringify(v));

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The first differing path, keys in sorted order (jsonb does not keep key order); undefined when equal. */
export function firstDifference(stored: unknown, given: unknown, path: string): Difference | undefined {
  if (isObject(stored) && isObject(given)) {
    for (const key of [...new Set([...Object.keys(stored), ...Object.keys(given)])].sort()) {
      const d = firstDifference(stored[key], given[key], `${path}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(stored) && Array.isArray(given)) {
    for (let i = 0; i < Math.max(stored.length, given.length); i++) {
      const d = firstDifference(stored[i], given[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(stored, given) ? undefined : { path, stored: show(stored), given: show(given) };
}
