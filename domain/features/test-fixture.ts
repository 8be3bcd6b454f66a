/** A one-event dataset input for tests: a late forecast run, observations through the day, a few quotes. */
import type { Bracket } from '../brackets';
import { climateDayWindowUtc } from '../climate-day';
import type { DatasetInput, QuoteColumns } from './inputs';

export const H = 3_600_000;
export const DATE = '2025-03-06';
export const DAY_START = climateDayWindowUtc('chicago', DATE).start.toMillis(); // 06:00Z
export const OPEN = Date.parse('2025-03-05T15:00:00Z');
export const CLOSE = DAY_START + 24 * H;

export function ladder(f0: number): Bracket[] {
  const t = (s: string) => `KXHIGHCHI-25MAR06-${s}`;
  return [
    { ticker: t(`T${f0}`), strikeType: 'less', cap: f0 },
    ...[0, 1, 2, 3].map((k): Bracket => ({ ticker: t(`B${f0 + 2 * k + 0.5}`), strikeType: 'between', floor: f0 + 2 * k, cap: f0 + 2 * k + 1 })),
    { ticker: t(`T${f0 + 7}`), strikeType: 'greater', floor: f0 + 7 },
  ];
}

const cols = (rows: number[][]): QuoteColumns => ({
  endMs: Float64Array.from(rows, (r) => r[0]!),
  bid: Float64Array.from(rows, (r) => r[1]!),
  ask: Float64Array.from(rows, (r) => r[2]!),
  volume: Float64Array.from(rows, (r) => r[3]!),
});

/** One event: a forecast published late (after several snapshots), observations through the day, a few quotes. */
export function fixtureInput(): DatasetInput {
  const brackets = ladder(33);
  const obsTimes = Array.from({ length: 48 * 12 }, (_, i) => OPEN - 6 * H + i * 5 * 60_000);
  const temp = (t: number) => 30 + 10 * Math.max(0, Math.sin(((t - DAY_START) / (24 * H)) * Math.PI));
  return {
    city: 'chicago',
    events: [{ eventTicker: 'KXHIGHCHI-25MAR06', date: DATE, openMs: OPEN, closeMs: CLOSE, brackets, winner: 3 }],
    settlements: [
      { date: '2024-03-06', highF: 41, availableAt: Date.parse('2024-03-07T15:00:00Z') },
      { date: '2023-03-08', highF: 45, availableAt: Date.parse('2023-03-09T15:00:00Z') },
      { date: '2025-03-04', highF: 35, availableAt: Date.parse('2025-03-05T14:00:00Z') },
      // Published after the open: unknown at the open, known at later snapshots.
      { date: '2025-03-05', highF: 37, availableAt: Date.parse('2025-03-06T14:00:00Z') },
      // The event's own settlement: a target, never a feature.
      { date: DATE, highF: 38, availableAt: Date.parse('2025-03-07T15:00:00Z') },
    ],
    dailyForecasts: [
      { source: 'iem-mos', model: 'gfs', targetDate: DATE, basisMs: OPEN - 12 * H, leadDays: 1, highF: 36, availableAt: OPEN - 7 * H },
      // A newer run that became known 5 h after the open.
      { source: 'iem-mos', model: 'gfs', targetDate: DATE, basisMs: OPEN, leadDays: 1, highF: 39, availableAt: OPEN + 5 * H },
    ],
    hourlyRuns: [
      {
        source: 'open-meteo',
        model: 'best_match',
        basisMs: OPEN - 15 * H,
        validMs: Float64Array.from({ length: 24 }, (_, i) => DAY_START + i * H),
        tempF: Float64Array.from({ length: 24 }, (_, i) => 30 + i / 2),
        // The later hours of the day come from a later run: known only from the open + 2 h.
        availableAt: Float64Array.from({ length: 24 }, (_, i) => (i < 20 ? OPEN - 1 * H : OPEN + 2 * H)),
      },
    ],
    observations: {
      observedMs: Float64Array.from(obsTimes),
      availableAt: Float64Array.from(obsTimes, (t) => t + 15 * 60_000),
      tempF: Float64Array.from(obsTimes, temp),
    },
    quotes: new Map(
      brackets.map((b, j) => [
        b.ticker,
        cols([
          [OPEN + 60_000, [2, 10, 30, 35, 15, 0][j]!, [6, 14, 36, 40, 20, 4][j]!, 10],
          [OPEN + 3 * H, [1, 8, 25, 40, 20, 0][j]!, [4, 12, 30, 45, 24, 5][j]!, 5],
        ]),
      ]),
    ),
  };
}

