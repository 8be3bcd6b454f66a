import { describe, expect, it } from 'vitest';
import { BRACKETS, buildDataset } from '../features/build';
import { DATE, fixtureInput, H, OPEN } from '../features/test-fixture';
import { usableRows } from './bracket-model';
import {
  chooseThreshold,
  EDGE_FEATURES,
  edgeCandidates,
  edgeMatrix,
  entryPriceCents,
  feePerContractCents,
  outOfFoldBrackets,
  passes,
  summariseTrades,
  tradePnlCents,
  type EdgeTradeOptions,
} from './edge';

const QUAD = { feeType: 'quadratic', feeMultiplier: 1 } as const;
const MAKER = { feeType: 'quadratic_with_maker_fees', feeMultiplier: 1 } as const;
const opts = (o: Partial<EdgeTradeOptions> = {}): EdgeTradeOptions => ({ priceRule: 'ask', fees: QUAD, contracts: 10, ...o });
const f = (name: (typeof EDGE_FEATURES)[number]) => EDGE_FEATURES.indexOf(name);

describe('edge candidates: prices, fees and P&L after fees', () => {
  it('prices by rule: the ask, or one cent above the bid while that stays below the ask', () => {
    expect(entryPriceCents('ask', 30, 34)).toBe(34);
    expect(entryPriceCents('ask', 30, NaN)).toBeNaN(); // nobody offers
    expect(entryPriceCents('bid_plus_one', 30, 34)).toBe(31);
    expect(entryPriceCents('bid_plus_one', 30, 31)).toBeNaN(); // 31 would take the ask, not rest
    expect(entryPriceCents('bid_plus_one', NaN, 5)).toBeNaN(); // nobody bids
    expect(entryPriceCents('bid_plus_one', 98, NaN)).toBe(99);
  });

  it('takes the taker fee of the whole order, rounded up to a cent, per contract', () => {
    // 10 @ 40¢: 0.07 × 10 × 0.40 × 0.60 = $0.168 -> 17¢ for the order, 1.7¢ a contract.
    expect(feePerContractCents(opts(), 40)).toBeCloseTo(1.7, 12);
    // 1 @ 40¢: $0.0168 -> 2¢.
    expect(feePerContractCents(opts({ contracts: 1 }), 40)).toBeCloseTo(2, 12);
    // 10 @ 5¢: 0.07 × 10 × 0.05 × 0.95 = $0.03325 -> 4¢, 0.4¢ a contract.
    expect(feePerContractCents(opts(), 5)).toBeCloseTo(0.4, 12);
  });

  it('takes the maker fee for bid + 1: nothing on a quadratic series, 0.0175 × C × P × (1 − P) where makers pay', () => {
    expect(feePerContractCents(opts({ priceRule: 'bid_plus_one' }), 31)).toBe(0);
    // 10 @ 31¢: 0.0175 × 10 × 0.31 × 0.69 = $0.0374325 -> 4¢, 0.4¢ a contract.
    expect(feePerContractCents(opts({ priceRule: 'bid_plus_one', fees: MAKER }), 31)).toBeCloseTo(0.4, 12);
    // A waived schedule charges nothing.
    expect(feePerContractCents(opts({ fees: { feeType: 'quadratic', feeMultiplier: 0 } }), 40)).toBe(0);
  });

  it('settles YES at 100¢ a contract: P&L = payout − price − fee', () => {
    // 10 @ 40¢ won: 1000 − 400 − 17 = 583¢ -> 58.3 a contract; lost: −400 − 17 -> −41.7.
    expect(tradePnlCents(opts(), 40, true)).toBeCloseTo(58.3, 12);
    expect(tradePnlCents(opts(), 40, false)).toBeCloseTo(-41.7, 12);
    // 1 @ 99¢ won: 100 − 99 − ceil(0.0693¢) = 0: not a profitable trade, so labelled 0.
    expect(tradePnlCents(opts({ contracts: 1 }), 99, true)).toBeCloseTo(0, 12);
  });

  it('builds one candidate per (snapshot, bracket) with a price, with its edge after fees and its settled label', () => {
    const d = buildDataset(fixtureInput(), { city: 'chicago', from: DATE, to: DATE });
    const rows = usableRows(d, true);
    const p = new Float64Array(rows.length * BRACKETS).fill(1 / BRACKETS);
    const c = edgeCandidates(d, rows, p, opts());
    // Every bracket of the fixture has an ask below 100 at every usable snapshot.
    expect(c.n).toBe(rows.length * BRACKETS);
    // A snapshot after OPEN + 3 h sees the second quotes: bracket 3 (the YES bracket) at 40/45.
    const late = Array.from(rows).findIndex((r) => d.snapshotMs[r]! >= OPEN + 3 * H);
    const i = late * BRACKETS + 3;
    expect([c.row[i], c.bracket[i]]).toEqual([rows[late], 3]);
    // 10 @ 45¢: 0.07 × 10 × 0.45 × 0.55 = $0.17325 -> 18¢, 1.8 a contract.
    const x = (name: (typeof EDGE_FEATURES)[number]) => c.x[i * EDGE_FEATURES.length + f(name)];
    expect(x('e.price_c')).toBe(45);
    expect(x('e.fee_c')).toBeCloseTo(1.8, 12);
    expect(x('e.edge_c')).toBeCloseTo(100 / 6 - 45 - 1.8, 12);
    expect(c.edgeCents[i]).toBeCloseTo(100 / 6 - 45 - 1.8, 12);
    expect(x('e.spread_c')).toBe(5);
    expect(x('e.p_model')).toBeCloseTo(1 / 6, 12);
    expect(x('e.index')).toBe(3);
    expect(c.pnlCents[i]).toBeCloseTo(100 - 45 - 1.8, 12);
    // Bracket 5 lost: 10 @ 5¢ (ask) costs 5¢ + 0.4¢ a contract.
    expect(c.pnlCents[late * BRACKETS + 5]).toBeCloseTo(-5.4, 12);
    const m = edgeMatrix(c, Int32Array.from([i, late * BRACKETS + 5]));
    expect(Array.from(m.y)).toEqual([1, 0]);

    // bid + 1: bracket 5 has no bid (0), so it has no candidate; bracket 3 rests at 41.
    const maker = edgeCandidates(d, rows, p, opts({ priceRule: 'bid_plus_one' }));
    const lateMaker = Array.from({ length: maker.n }, (_, k) => k).filter((k) => maker.row[k] === rows[late]);
    expect(lateMaker.map((k) => maker.bracket[k])).toEqual([0, 1, 2, 3, 4]);
    expect(maker.priceCents[lateMaker[3]!]).toBe(41);
  });
});

describe('threshold chooser', () => {
  it('maximises the total P&L of the trades taken', () => {
    // Descending: 0.9 takes +10, 0.8 takes +5, 0.7 takes +25, 0.6 takes −5.
    const t = chooseThreshold([0.6, 0.9, 0.7, 0.8], [-30, 10, 20, -5]);
    expect(t).toEqual({ threshold: 0.7, trades: 3, totalPnlCents: 25 });
    expect([0.6, 0.9, 0.7, 0.8].filter((s) => passes(s, t.threshold)).length).toBe(3);
  });

  it('breaks ties towards the higher threshold', () => {
    // 0.9 -> 10, 0.8 -> 5, 0.7 -> 10: the same money with one trade instead of three.
    expect(chooseThreshold([0.9, 0.8, 0.7], [10, -5, 5])).toEqual({ threshold: 0.9, trades: 1, totalPnlCents: 10 });
  });

  it('takes all trades of a score or none of them', () => {
    // 0.5 takes both (+10, −20) = −10; 0.4 adds +5 = −5: no threshold makes money.
    expect(chooseThreshold([0.5, 0.5, 0.4], [10, -20, 5]).threshold).toBeNull();
    // 0.5 -> +30 and −20 = 10; 0.4 -> 15.
    expect(chooseThreshold([0.5, 0.5, 0.4], [30, -20, 5])).toEqual({ threshold: 0.4, trades: 3, totalPnlCents: 15 });
  });

  it('refuses all trades when none makes money', () => {
    const t = chooseThreshold([0.9, 0.2], [-1, -3]);
    expect(t).toEqual({ threshold: null, trades: 0, totalPnlCents: 0 });
    expect(passes(0.99, t.threshold)).toBe(false);
    expect(chooseThreshold([], []).threshold).toBeNull();
  });

  it('summarises trades: count, win rate, total and per-trade P&L', () => {
    expect(summariseTrades([58.3, -41.7, 10, -5], [0, 1, 2])).toEqual({ trades: 3, winRate: 2 / 3, totalPnlCents: 58.3 - 41.7 + 10, pnlPerTradeCents: (58.3 - 41.7 + 10) / 3 });
    expect(summariseTrades([1], [])).toEqual({ trades: 0, winRate: null, totalPnlCents: 0, pnlPerTradeCents: null });
  });
});

describe('out-of-fold bracket probabilities', () => {
  it('predicts each fold’s validation days with a model fitted on earlier days only, and leaves the first block out', () => {
    const d = buildDataset(fixtureInput(), { city: 'chicago', from: DATE, to: DATE });
    // Ten synthetic days of three rows each, as a day-number column.
    const rows = Int32Array.from({ length: 30 }, (_, i) => i);
    const days = Int32Array.from({ length: 30 }, (_, i) => 20_000 + Math.floor(i / 3));
    const fake = { ...d, date: days };
    const seen: Array<{ train: number[]; valid: number[] }> = [];
    const oof = outOfFoldBrackets(
      fake,
      rows,
      (train) => (valid) => {
        seen.push({ train: Array.from(train, (r) => days[r]!), valid: Array.from(valid, (r) => days[r]!) });
        return new Float64Array(valid.length * BRACKETS).fill(train.length);
      },
      { folds: 3, gapDays: 1 },
    );
    expect(seen.length).toBe(3);
    for (const s of seen) expect(Math.max(...s.train)).toBeLessThan(Math.min(...s.valid) - 1); // the gap day sits between
    // v = floor((10 − 1) / 4) = 2 days per fold: the last 6 days are predicted, the first 4 are not.
    expect(new Set(Array.from(oof.rows, (r) => days[r])).size).toBe(6);
    expect(Math.min(...Array.from(oof.rows, (r) => days[r]!))).toBe(20_004);
    expect(oof.p.length).toBe(oof.rows.length * BRACKETS);
    // Each row's probabilities came from its own fold's model (the fake predicts its training size).
    expect(oof.p[0]).toBe(3 * 3); // fold 1 trains on days 0..2
    expect(oof.p[oof.p.length - 1]).toBe(7 * 3); // fold 3 trains on days 0..6
  });
});
