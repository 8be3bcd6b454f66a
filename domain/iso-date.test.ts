import { describe, expect, it } from 'vitest';
import { InvalidDateError } from './errors';
import { IsoDateSchema, assertIsoDate } from './iso-date';

describe('assertIsoDate / IsoDateSchema', () => {
  it.each(['2025-07-04', '2024-02-29', '2000-01-01', '2025-12-31'])('accepts %s', (d) => {
    expect(assertIsoDate(d)).toBe(d);
    expect(IsoDateSchema.parse(d)).toBe(d);
  });

  it.each(['2025-02-29', '2025-02-30', '2025-13-01', '2025-00-10', '2025-04-31'])('rejects the nonexistent %s', (d) => {
    expect(() => assertIsoDate(d, 'climate date')).toThrow(`invalid climate date "${d}": no such calendar date`);
    expect(IsoDateSchema.safeParse(d).success).toBe(false);
  });

  it.each(['2025-7-4', '20250704', '2025-07-04T00:00', ' 2025-07-04', '', 'July 4'])('rejects the malformed %j', (d) => {
    expect(() => assertIsoDate(d)).toThrow(InvalidDateError);
    expect(() => assertIsoDate(d)).toThrow(/expected YYYY-MM-DD/);
  });

  it('rejects non-strings', () => {
    expect(() => assertIsoDate(20250704)).toThrow('invalid date 20250704: expected YYYY-MM-DD');
  });
});
