import { DateTime } from 'luxon';
import { z } from 'zod';
import { InvalidDateError, describeValue } from './errors';

const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function isRealIsoDate(s: string): boolean {
  return ISO_DATE_RE.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid;
}

/** A calendar date "YYYY-MM-DD" that exists (2025-02-30 is rejected). */
export const IsoDateSchema = z
  .string()
  .refine(isRealIsoDate, { message: 'expected an existing calendar date written YYYY-MM-DD' });

/** A calendar date without time or zone; which day-definition it refers to is up to the caller. */
export type IsoDate = z.infer<typeof IsoDateSchema>;

export function assertIsoDate(value: unknown, field = 'date'): IsoDate {
  if (typeof value !== 'string' || !ISO_DATE_RE.test(value)) {
    throw new InvalidDateError(`invalid ${field} ${describeValue(value)}: expected YYYY-MM-DD`);
  }
  if (!isRealIsoDate(value)) {
    throw new InvalidDateError(`invalid ${field} ${describeValue(value)}: no such calendar date`);
  }
  return value;
}
