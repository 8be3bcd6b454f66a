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

/** A calendar date as whole days since 1970-01-01 (the int32 `date` column of datasets), and back. */
export const dayNumberOf = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
export const dateOfDayNumber = (n: number): string => new Date(n * 86_400_000).toISOString().slice(0, 10);
