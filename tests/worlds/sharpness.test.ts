/**
 * How sharp the generated market is, scored like shared/reference/market-baselines.md (mid of bid and
 * ask, clipped to [0.005, 0.995], normalised over the ladder, -ln p of the winner): the real market
 * scores 1.35-1.45 at the ~05:00Z snapshot, a uniform guess 1.792. The quotes have real spreads (a
 * one-sided book's mid is half the ask), so the mid is a noisier probability than the market's own.
 */
import { describe, expect, it } from 'vitest';
import { createGeneratedWorld, type GeneratedWorld } from '../../sandbox/worlds/generated';
import { quoteAt } from './quote-at';

const dates = { from: '2025-01-01', to: '2025-03-01' };

type When = (open: Date, eventDate: string, close: Date) => Date;

function logLosses(w: GeneratedWorld, whens: Record<string, When>): Record<string, number> {
  const total: Record<string, number> = {};
  let n = 0;
  for (const { event, markets } of w.events()) {
    n++;
    for (const [name, when] of Object.entries(whens)) total[name] = (total[name] ?? 0) + eventLoss(w, markets, when(markets[0]!.openTime!, event.eventDate, markets[0]!.closeTime!));
  }
  return Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / n]));
}

function eventLoss(w: GeneratedWorld, markets: Array<{ ticker: string; result?: string | null; openTime?: Date | null }>, at: Date): number {
  {
    const ps = markets.map((m) => {
      // Candles are sparse: the quote standing at `at` is the last candle's close.
      const mid = quoteAt(w, m.ticker, at, m.openTime!)!.mid / 1_000_000;
      return Math.min(0.995, Math.max(0.005, mid));
    });
    const sum = ps.reduce((a, b) => a + b, 0);
    const win = markets.findIndex((m) => m.result === 'yes');
    return -Math.log(ps[win]! / sum);
  }
}

describe('generated market sharpness', () => {
  it('none: in the ballpark of the real market at the snapshot, sharper later, blunter at listing', () => {
    const out: Record<string, Record<string, number>> = {};
    for (const ineff of ['none', 'underreaction', 'longshot'] as const) {
      const w = createGeneratedWorld({ seed: 2024, dates, inefficiency: ineff });
      out[ineff] = logLosses(w, {
        listing: (open) => new Date(open.getTime() + 5 * 60_000),
        snapshot05Z: (_o, d) => new Date(`${d}T05:00:00Z`),
        closeMinus4h: (_o, _d, close) => new Date(close.getTime() - 4 * 3_600_000),
      });
    }
    console.log('bracket log loss of the mid (events: 60 days x 6 cities):', JSON.stringify(out, null, 1));
    const none = out.none as { listing: number; snapshot05Z: number; closeMinus4h: number };
    expect(none.snapshot05Z).toBeGreaterThan(1.2);
    expect(none.snapshot05Z).toBeLessThan(1.6);
    expect(none.listing).toBeGreaterThan(none.snapshot05Z);
    expect(none.closeMinus4h).toBeLessThan(0.6);
    expect(out.longshot!.snapshot05Z!).toBeGreaterThan(none.snapshot05Z);
    expect(out.underreaction!.closeMinus4h!).toBeGreaterThan(none.closeMinus4h);
  });
});
