import { describe, expect, it } from 'vitest';
import { checkForecastValues } from './forecasts';

const rules = (tempmaxF: number | null, tempminF: number | null) => checkForecastValues({ tempmaxF, tempminF }).map((f) => f.rule);

describe('checkForecastValues', () => {
  it('a 0 °F high whose low is missing or not below zero is a sentinel', () => {
    expect(rules(0, null)).toEqual(['forecast_zero']);
    expect(rules(0, 0)).toEqual(['forecast_zero']);
    expect(checkForecastValues({ tempmaxF: 0, tempminF: null })[0]!.detail).toContain('zero sentinel');
  });

  it('a 0 °F high with a low below zero is plausible weather', () => {
    expect(rules(0, -8)).toEqual([]);
  });

  it('impossible values and a high below the low', () => {
    expect(rules(-61, -70)).toEqual(['forecast_impossible']);
    expect(rules(136, 80)).toEqual(['forecast_impossible']);
    expect(rules(80, 140)).toEqual(['forecast_impossible']);
    expect(rules(Number.NaN, 50)).toEqual(['forecast_impossible']);
    expect(rules(50, 60)).toEqual(['forecast_max_below_min']);
    expect(rules(0, 5)).toEqual(['forecast_zero', 'forecast_max_below_min']);
  });

  it('ordinary and missing values pass', () => {
    expect(rules(87.4, 71.2)).toEqual([]);
    expect(rules(-20, -35)).toEqual([]);
    expect(rules(null, 40)).toEqual([]);
    expect(rules(60, null)).toEqual([]);
  });
});
