import { describe, expect, it } from 'vitest';
import { coverageProblem, SOURCE_COVERAGE } from './coverage';

const today = '2026-12-02';
const all = ['kalshi', 'observations', 'settlements', 'forecasts'] as const;

describe('coverageProblem', () => {
  it('accepts a range every chosen source serves', () => {
    expect(coverageProblem({ from: '2025-03-06', to: '2025-03-12', sources: [...all], today })).toBeUndefined();
    expect(coverageProblem({ from: today, to: today, sources: [...all], today })).toBeUndefined();
  });

  it('refuses a range that ends after today', () => {
    expect(coverageProblem({ from: '2025-01-01', to: '2026-12-03', sources: [...all], today })).toEqual({
      end: 'to',
      value: '2026-12-03',
      reason: 'is after today (2026-12-02): no source has published that climate day',
    });
  });

  it('names the latest lower bound among the chosen sources', () => {
    expect(coverageProblem({ from: '2023-06-01', to: '2023-06-30', sources: [...all], today })).toMatchObject({ end: 'from', reason: `is before 2024-01-01: ${SOURCE_COVERAGE.forecasts.why}` });
    // Without forecasts the same range is servable; before Kalshi's first events it is not.
    expect(coverageProblem({ from: '2023-06-01', to: '2023-06-30', sources: ['kalshi', 'observations'], today })).toBeUndefined();
    expect(coverageProblem({ from: '2022-01-01', to: '2022-12-31', sources: ['kalshi', 'observations'], today })).toMatchObject({ reason: `is before 2022-12-11: ${SOURCE_COVERAGE.kalshi.why}` });
    expect(coverageProblem({ from: '1900-01-01', to: '2025-01-01', sources: ['observations'], today })).toMatchObject({ reason: `is before 2000-01-01: ${SOURCE_COVERAGE.observations.why}` });
  });

  describe('a recorded world', () => {
    const world = { from: '2022-12-22', to: '2025-06-30', what: 'the recorded world in /data/real' };

    it('serves what its files hold, before the sources\' archives begin (no Open-Meteo floor)', () => {
      // 2024-10-01 is before Open-Meteo's 2024-01-01 only for the real services; 2022-12-22 before Kalshi's 2022-12-11 is not.
      expect(coverageProblem({ from: '2022-12-22', to: '2023-06-30', sources: [...all], today, world })).toBeUndefined();
      expect(coverageProblem({ from: '2024-10-01', to: '2025-04-30', sources: ['forecasts'], today, world })).toBeUndefined();
      expect(coverageProblem({ from: '2023-06-01', to: '2023-06-30', sources: [...all], today })).toBeDefined();
    });

    it('refuses either end outside the files, naming the world and its span', () => {
      expect(coverageProblem({ from: '2022-12-20', to: '2025-06-30', sources: [...all], today, world })).toEqual({
        end: 'from',
        value: '2022-12-20',
        reason: 'is before 2022-12-22: the recorded world in /data/real holds Kalshi events from 2022-12-22 to 2025-06-30',
      });
      expect(coverageProblem({ from: '2025-03-01', to: '2025-07-01', sources: [...all], today, world })).toEqual({
        end: 'to',
        value: '2025-07-01',
        reason: 'is after 2025-06-30: the recorded world in /data/real holds Kalshi events from 2022-12-22 to 2025-06-30',
      });
    });

    it('is bound by its files, not by today', () => {
      // A world recorded up to a date after the caller's clock still serves it (the clock is the world's).
      const late = { ...world, to: '2027-01-31' };
      expect(coverageProblem({ from: '2026-12-01', to: '2027-01-31', sources: [...all], today, world: late })).toBeUndefined();
    });
  });
});
