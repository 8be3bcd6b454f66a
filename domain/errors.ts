import type { z } from 'zod';

// One base class so callers can tell "bad domain input" apart from programming
// errors with a single instanceof check; subclasses say which rule was broken.
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidCityError extends DomainError {}
export class InvalidDateError extends DomainError {}
export class InvalidTickerError extends DomainError {}
export class InvalidBracketError extends DomainError {}
export class LadderError extends DomainError {}
export class InvalidMoneyError extends DomainError {}
export class InvalidCountError extends DomainError {}
export class UnsupportedFeeTypeError extends DomainError {}
export class InvalidSettlementError extends DomainError {}

/** Renders a value for an error message so that strings, NaN and missing values stay distinguishable. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Validates with a zod schema but throws a DomainError subclass whose message names the
 * offending field and value, so messages look the same whether a check lives in a schema
 * or in hand-written code.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  ErrorClass: new (message: string) => DomainError = DomainError,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const field = path.length > 0 ? `${what}.${path.join('.')}` : what;
  let got: unknown = value;
  for (const key of path) {
    got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  }
  throw new ErrorClass(`invalid ${field} ${describeValue(got)}: ${issue?.message ?? 'rejected by schema'}`);
}
