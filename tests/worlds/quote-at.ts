/**
 * The standing quote of a market at an instant, read from its sparse 1-minute candles as a backtest
 * would: the close of the last candle at or before the instant (forward fill; a minute without a
 * candle had no trade and no quote change).
 */
import type { World } from '../../sandbox/world';

export interface Quote {
  bid: number;
  ask: number;
  mid: number;
}

export function quoteAt(w: Pick<World, 'candles'>, ticker: string, at: Date, openTime: Date): Quote | undefined {
  const to = new Date(at.getTime() + 60_000);
  for (let back = 60 * 60_000; ; back *= 4) {
    const from = new Date(Math.max(openTime.getTime(), at.getTime() - back));
    const c = w.candles(ticker, 1, { from, to }).at(-1);
    if (c) return { bid: c.yesBidClose!, ask: c.yesAskClose!, mid: (c.yesBidClose! + c.yesAskClose!) / 2 };
    if (from.getTime() <= openTime.getTime()) return undefined;
  }
}
