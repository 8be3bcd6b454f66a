import { describe, expect, it } from 'vitest';
import { SearchSpaceError, contains, isSingle, parseSearchSpace, toExternal, toInternal } from './space';

const error = (input: unknown): string => {
  try {
    parseSearchSpace(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SearchSpaceError);
    return (e as Error).message;
  }
  throw new Error('expected parseSearchSpace to throw');
};

describe('parseSearchSpace', () => {
  it('accepts float, log float, stepped float, int, stepped and log int, and categorical, with defaults', () => {
    const space = parseSearchSpace({
      lr: { type: 'float', low: 1e-3, high: 0.3, log: true },
      frac: { type: 'float', low: 0.1, high: 1, step: 0.1 },
      leaves: { type: 'int', low: 8, high: 256, log: true },
      depth: { type: 'int', low: 2, high: 12, step: 2 },
      booster: { type: 'categorical', choices: ['gbdt', 'dart'] },
    });
    expect(space.frac).toEqual({ type: 'float', low: 0.1, high: 1, step: 0.1, log: false });
    expect(space.depth).toEqual({ type: 'int', low: 2, high: 12, step: 2, log: false });
    expect(Object.keys(space)).toEqual(['lr', 'frac', 'leaves', 'depth', 'booster']);
  });

  it('rejects bad spaces with one line naming the parameter and field', () => {
    const cases: [unknown, string][] = [
      [{ lr: { type: 'float', low: 0, high: 1, log: true } }, 'space.lr.low: log needs low > 0, got 0'],
      [{ lr: { type: 'float', low: 2, high: 1 } }, 'space.lr.high: high 1 < low 2'],
      [{ lr: { type: 'float', low: 1e-3, high: 1, log: true, step: 0.1 } }, 'space.lr.step: step is not allowed with log'],
      [{ lr: { type: 'float', low: 0, high: 1, step: 0.3 } }, 'space.lr.step: high - low (1) is not a multiple of step 0.3'],
      [{ n: { type: 'int', low: 0, high: 10, log: true } }, 'space.n.low: log needs low >= 1, got 0'],
      [{ n: { type: 'int', low: 1, high: 10, step: 2 } }, 'space.n.step: high - low (9) is not a multiple of step 2'],
      [{ n: { type: 'int', low: 1.5, high: 10 } }, 'space.n.low:'],
      [{ n: { type: 'int', low: 1, high: 10, step: 0 } }, 'space.n.step:'],
      [{ c: { type: 'categorical', choices: [] } }, 'space.c.choices:'],
      [{ c: { type: 'categorical', choices: ['a', 'a'] } }, 'space.c.choices: duplicate choices'],
      [{ x: { type: 'uniform', low: 0, high: 1 } }, 'space.x.type: expected float, int or categorical, got "uniform"'],
      [{ x: { low: 0, high: 1 } }, 'space.x.type: expected float, int or categorical, got nothing'],
      [{ x: { type: 'float', low: 0 } }, 'space.x.high:'],
      [{ x: { type: 'float', low: 0, high: 1, lg: true } }, 'space.x.lg: unknown field (a float takes type, low, high, log, step)'],
      [{ x: 3 }, 'space.x: expected a distribution object'],
      [{}, 'space: search space is empty'],
      [[], 'space: expected an object of parameter -> distribution, got an array'],
      [null, 'space: expected an object of parameter -> distribution, got null'],
    ];
    for (const [input, message] of cases) {
      const got = error(input);
      expect(got.startsWith(message), `${JSON.stringify(input)} -> ${got}`).toBe(true);
      expect(got).not.toContain('\n');
    }
  });
});

describe('internal representation', () => {
  const space = parseSearchSpace({
    x: { type: 'float', low: -1, high: 1 },
    s: { type: 'float', low: 0, high: 1, step: 0.1 },
    i: { type: 'int', low: -3, high: 12, step: 3 },
    c: { type: 'categorical', choices: ['a', 1, null, false] },
    one: { type: 'categorical', choices: ['only'] },
  });

  it('maps values to internal numbers and back onto the grid', () => {
    expect(toInternal(space.c!, null)).toBe(2);
    expect(toExternal(space.c!, 2)).toBe(null);
    expect(toExternal(space.i!, 4.4)).toBe(3);
    expect(toExternal(space.i!, 4.6)).toBe(6);
    expect(toExternal(space.i!, 100)).toBe(12);
    expect(toExternal(space.s!, 0.30000001)).toBe(0.3);
    // A grid finer than 12 significant digits keeps its exact points.
    const fine = parseSearchSpace({ f: { type: 'float', low: 0.5, high: 0.5 + 1e-11, step: 1e-13 } }).f!;
    const v = toExternal(fine, 0.5 + 33.2e-13) as number;
    expect(v).toBe(0.5 + 33 * 1e-13);
    expect(contains(fine, v)).toBe(true);
    expect(toExternal(space.x!, 1.5)).toBe(1);
    expect(() => toInternal(space.c!, 'b')).toThrow(SearchSpaceError);
  });

  it('tells values inside the space and on its grid', () => {
    expect(contains(space.s!, 0.7)).toBe(true);
    expect(contains(space.s!, 0.75)).toBe(false);
    expect(contains(space.i!, 9)).toBe(true);
    expect(contains(space.i!, 10)).toBe(false);
    expect(contains(space.x!, 1.01)).toBe(false);
    expect(contains(space.c!, false)).toBe(true);
    expect(contains(space.c!, 'false')).toBe(false);
    expect(isSingle(space.one!)).toBe(true);
    expect(isSingle(space.x!)).toBe(false);
  });
});
