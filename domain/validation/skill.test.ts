import { describe, expect, it } from 'vitest';
import { forecastSkill, mergeSkillSums, skillFromSums, skillSums } from './skill';

describe('forecast skill by lead', () => {
  // Hand computation. vc lead 1: errors +2, −2, +3 → bias 3/3 = 1, MAE 7/3 = 2.333.
  // vc lead 2: error −4 → bias −4, MAE 4. om lead 1: errors +1, +1 → bias 1, MAE 1.
  const pairs = [
    { key: 'vc/default', leadDays: 1, forecastF: 80, observedF: 78 },
    { key: 'vc/default', leadDays: 1, forecastF: 75, observedF: 77 },
    { key: 'vc/default', leadDays: 1, forecastF: 90, observedF: 87 },
    { key: 'vc/default', leadDays: 2, forecastF: 70, observedF: 74 },
    { key: 'om/gfs', leadDays: 1, forecastF: 61.5, observedF: 60.5 },
    { key: 'om/gfs', leadDays: 1, forecastF: 50, observedF: 49 },
  ];

  it('bias and MAE per source and lead', () => {
    expect(forecastSkill(pairs)).toEqual([
      { key: 'om/gfs', leadDays: 1, n: 2, bias: 1, mae: 1 },
      { key: 'vc/default', leadDays: 1, n: 3, bias: 1, mae: 2.333 },
      { key: 'vc/default', leadDays: 2, n: 1, bias: -4, mae: 4 },
    ]);
  });

  it('sums from SQL merge across cities exactly like pooled pairs', () => {
    const chicago = skillSums(pairs.slice(0, 2));
    const austin = skillSums(pairs.slice(2));
    expect(skillFromSums([...chicago, ...austin])).toEqual(forecastSkill(pairs));
    expect(mergeSkillSums(chicago)).toEqual([{ key: 'vc/default', leadDays: 1, n: 2, sumErr: 0, sumAbsErr: 4 }]);
    expect(skillFromSums([{ key: 'x', leadDays: 0, n: 0, sumErr: 0, sumAbsErr: 0 }])).toEqual([]);
  });
});
