import { describe, expect, it } from 'vitest';
import { roundHalfUp, tenthsCToFahrenheit, tenthsCToWholeFahrenheit, wholeFahrenheitFromText } from './fahrenheit';
import { roundHalfUp as fromBrackets } from './brackets';

describe('one °F rounding rule', () => {
  it('tenths of °C round half up on the exact value', () => {
    expect(tenthsCToWholeFahrenheit(306)).toBe(87); // 87.08
    expect(tenthsCToWholeFahrenheit(25)).toBe(37); // 36.5 exactly: a tie goes up
    expect(tenthsCToWholeFahrenheit(-25)).toBe(28); // 27.5
    expect(tenthsCToWholeFahrenheit(-178)).toBe(0); // -0.04
    expect(Object.is(tenthsCToWholeFahrenheit(-178), 0)).toBe(true);
    expect(tenthsCToWholeFahrenheit(0)).toBe(32);
    expect(() => tenthsCToWholeFahrenheit(2.5)).toThrow('tenths of °C 2.5 is not an integer');
  });

  it('agrees with roundHalfUp of the converted value wherever the float is not a tie (every tenth from -50 °C to 50 °C)', () => {
    for (let t = -500; t <= 500; t++) {
      const exact = (9 * t + 1600) / 50;
      // Ties (x.5 exactly) are where a float product like 2.5 × 1.8 could land either side; the integer form decides those.
      if (Math.abs(exact - Math.floor(exact) - 0.5) < 1e-9) continue;
      expect(tenthsCToWholeFahrenheit(t)).toBe(roundHalfUp(tenthsCToFahrenheit(t)));
    }
  });

  it('reads the whole °F at the start of an expiration value, free text included', () => {
    expect(wholeFahrenheitFromText('63.00')).toBe(63);
    expect(wholeFahrenheitFromText('84. Although the Daily Climate Report was not finalized for November 5th, ...')).toBe(84);
    expect(wholeFahrenheitFromText(' -3.5')).toBe(-3);
    expect(wholeFahrenheitFromText('')).toBeUndefined();
    expect(wholeFahrenheitFromText('n/a')).toBeUndefined();
    expect(wholeFahrenheitFromText(null)).toBeUndefined();
  });

  it('is the same function everywhere it is imported from', () => {
    expect(fromBrackets).toBe(roundHalfUp);
  });
});
