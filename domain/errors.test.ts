import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { DomainError, InvalidTickerError, LadderError, describeValue, parseWith } from './errors';

describe('errors', () => {
  it('subclasses are DomainErrors with their own name', () => {
    const e = new InvalidTickerError('x');
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('InvalidTickerError');
    expect(new LadderError('y').name).toBe('LadderError');
  });

  it.each([
    ['abc', '"abc"'],
    [42, '42'],
    [Number.NaN, 'NaN'],
    [undefined, 'undefined'],
    [null, 'null'],
    [true, 'true'],
    [10n, '10n'],
    [{ a: 1 }, '{"a":1}'],
  ])('describeValue case %#', (v, s) => {
    expect(describeValue(v)).toBe(s);
  });

  it('parseWith names the path and the offending value', () => {
    const schema = z.object({ a: z.object({ b: z.number() }) });
    expect(() => parseWith(schema, { a: { b: 'x' } }, 'thing', LadderError)).toThrow(LadderError);
    expect(() => parseWith(schema, { a: { b: 'x' } }, 'thing')).toThrow(/^invalid thing\.a\.b "x": /);
    expect(parseWith(schema, { a: { b: 1 } }, 'thing')).toEqual({ a: { b: 1 } });
  });
});
