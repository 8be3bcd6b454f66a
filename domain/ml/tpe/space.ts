/**
 * Search-space validation and the internal representation samplers work in (Optuna's
 * to_internal_repr): numbers stay numbers, a categorical value becomes its index among the choices.
 */
import { DomainError, describeValue } from '../../errors';
import {
  categoricalDistributionSchema,
  floatDistributionSchema,
  intDistributionSchema,
  type Distribution,
  type ParamValue,
  type SearchSpace,
} from './types';

export class SearchSpaceError extends DomainError {}

const schemaByType = {
  float: floatDistributionSchema,
  int: intDistributionSchema,
  categorical: categoricalDistributionSchema,
} as const;

const FIELDS: Record<keyof typeof schemaByType, readonly string[]> = {
  float: ['type', 'low', 'high', 'log', 'step'],
  int: ['type', 'low', 'high', 'log', 'step'],
  categorical: ['type', 'choices'],
};

/**
 * Grid check with a tolerance, as Optuna's distributions do, so 0.1-steps over [0, 1] pass; the
 * tolerance grows with the rounding error of low and high relative to the step (fine grids).
 */
function onGrid(low: number, high: number, step: number): boolean {
  const k = (high - low) / step;
  const tolerance = 1e-8 + (4 * Number.EPSILON * (Math.abs(low) + Math.abs(high))) / step;
  return Math.abs(k - Math.round(k)) < tolerance;
}

/**
 * Parses an untrusted search space. Errors are one line naming the parameter and field, e.g.
 * `space.lr.low: log needs low > 0, got 0`.
 */
export function parseSearchSpace(input: unknown, what = 'space'): SearchSpace {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SearchSpaceError(`${what}: expected an object of parameter -> distribution, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`);
  }
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 0) throw new SearchSpaceError(`${what}: search space is empty`);
  const space: SearchSpace = {};
  for (const [name, raw] of entries) {
    const at = `${what}.${name}`;
    if (name.length === 0) throw new SearchSpaceError(`${what}: parameter names must be non-empty`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SearchSpaceError(`${at}: expected a distribution object`);
    const type = (raw as { type?: unknown }).type;
    if (type !== 'float' && type !== 'int' && type !== 'categorical') {
      throw new SearchSpaceError(`${at}.type: expected float, int or categorical, got ${JSON.stringify(type) ?? 'nothing'}`);
    }
    // A misspelt field (e.g. `lg: true`) would otherwise be dropped silently and change the search.
    const unknown = Object.keys(raw).find((key) => !FIELDS[type].includes(key));
    if (unknown !== undefined) throw new SearchSpaceError(`${at}.${unknown}: unknown field (a ${type} takes ${FIELDS[type].join(', ')})`);
    const parsed = schemaByType[type].safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
      let got: unknown = raw;
      for (const key of issue?.path ?? []) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
      const message = issue?.message ?? 'invalid distribution';
      throw new SearchSpaceError(`${at}${field}: ${message}${/\bgot\b/.test(message) ? '' : `, got ${describeValue(got)}`}`);
    }
    const d = parsed.data as Distribution;
    if (d.type !== 'categorical') {
      if (!Number.isFinite(d.low)) throw new SearchSpaceError(`${at}.low: must be finite, got ${d.low}`);
      if (!Number.isFinite(d.high)) throw new SearchSpaceError(`${at}.high: must be finite, got ${d.high}`);
      if (d.step !== undefined && !onGrid(d.low, d.high, d.step)) {
        throw new SearchSpaceError(`${at}.step: high - low (${d.high - d.low}) is not a multiple of step ${d.step}`);
      }
    } else if (new Set(d.choices).size !== d.choices.length) {
      throw new SearchSpaceError(`${at}.choices: duplicate choices`);
    }
    space[name] = d;
  }
  return space;
}

/** A distribution with one possible value is not searched (Optuna's single()). */
export function isSingle(d: Distribution): boolean {
  return d.type === 'categorical' ? d.choices.length === 1 : d.low === d.high;
}

export function toInternal(d: Distribution, value: ParamValue): number {
  if (d.type === 'categorical') {
    const i = d.choices.indexOf(value);
    if (i < 0) throw new SearchSpaceError(`value ${JSON.stringify(value)} is not among the choices`);
    return i;
  }
  if (typeof value !== 'number') throw new SearchSpaceError(`value ${JSON.stringify(value)} is not a number`);
  return value;
}

/**
 * Maps a sampled internal value back to a parameter value on the space's grid: int rounds to its
 * step, a stepped float to its step (rounded again to shed binary noise), every value clipped inside.
 */
export function toExternal(d: Distribution, internal: number): ParamValue {
  if (d.type === 'categorical') return d.choices[Math.min(d.choices.length - 1, Math.max(0, Math.trunc(internal)))]!;
  if (d.type === 'int') {
    const k = Math.floor((internal - d.low) / d.step + 0.5);
    return Math.min(Math.max(d.low + k * d.step, d.low), d.high);
  }
  if (d.step !== undefined) {
    const k = Math.round((internal - d.low) / d.step);
    const v = Math.min(Math.max(d.low + k * d.step, d.low), d.high);
    // Shed binary noise (0.30000000000000004 -> 0.3) unless the grid is finer than 12 digits.
    const clean = Number(v.toPrecision(12));
    return Math.abs(clean - v) < d.step * 1e-6 ? clean : v;
  }
  return Math.min(Math.max(internal, d.low), d.high);
}

/** Whether a value belongs to the distribution (inside the range and on its grid). */
export function contains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'categorical') return d.choices.includes(value);
  if (typeof value !== 'number' || !(value >= d.low && value <= d.high)) return false;
  if (d.type === 'int') return Number.isInteger(value) && (value - d.low) % d.step === 0;
  return d.step === undefined || onGrid(d.low, value, d.step);
}
