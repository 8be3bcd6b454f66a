import { describe, expect, it } from 'vitest';
import { buildDataset } from '../features/build';
import { DATE, fixtureInput } from '../features/test-fixture';
import { BRACKET_FEATURES, bracketMatrix, marketBrackets, normaliseOverLadder, usableRows } from './bracket-model';
import { trainGbdt } from './gbdt/train';
import { predictBrackets } from './bracket-model';

const dataset = () => buildDataset(fixtureInput(), { city: 'chicago', from: DATE, to: DATE });

describe('bracket model (long format over the ladder)', () => {
  it('uses only rows whose market distribution is known, six bracket rows each, labelled by the settled bracket', () => {
    const d = dataset();
    const rows = usableRows(d, true);
    expect(rows.length).toBe(d.features.rows - 1); // the very open has no quote yet
    const m = bracketMatrix(d, rows, true);
    expect(m.rows).toBe(rows.length * 6);
    expect(m.x.length).toBe(m.rows * BRACKET_FEATURES.length);
    for (let r = 0; r < rows.length; r++) expect(Array.from(m.y.subarray(r * 6, r * 6 + 6))).toEqual([0, 0, 0, 1, 0, 0]);
    const f = (name: string, i: number) => m.x[i * BRACKET_FEATURES.length + BRACKET_FEATURES.indexOf(name as (typeof BRACKET_FEATURES)[number])]!;
    // Bracket 3 of the ladder whose low tail is below 33 covers 37..38: its lower edge on the real line is 36.5.
    const mean = d.features.column('mkt.mean')[rows[0]!]!;
    expect(f('b.lo_minus_mkt', 3)).toBeCloseTo(36.5 - mean, 12);
    expect(f('b.p_mkt', 3)).toBe(d.features.column('mkt.p3')[rows[0]!]);
    expect(f('b.p_left', 0)).toBeNaN();
    expect(f('b.rank', 3)).toBe(0); // bracket 3 is the market's favourite there
  });

  it('renormalises per-bracket probabilities over each ladder', () => {
    const p = normaliseOverLadder([0.1, 0.1, 0.2, 0.4, 0.1, 0.1, 0, 0, 0, 0, 0, 0], 2);
    expect(Array.from(p.subarray(0, 6)).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(Array.from(p.subarray(6))).toEqual([1, 1, 1, 1, 1, 1].map((x) => x / 6));
  });

  it('a trained model serves six probabilities per snapshot that sum to one, as the market baseline does', () => {
    const d = dataset();
    const rows = usableRows(d, true);
    const { model } = trainGbdt(bracketMatrix(d, rows, true), { objective: 'binary', numIterations: 5, minDataInLeaf: 5 });
    for (const p of [predictBrackets(model, d, rows), marketBrackets(d, rows)]) {
      for (let r = 0; r < rows.length; r++) {
        const row = Array.from(p.subarray(r * 6, r * 6 + 6));
        expect(row.every((x) => x >= 0)).toBe(true);
        expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
      }
    }
  });
});
