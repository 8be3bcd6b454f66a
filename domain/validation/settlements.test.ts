import { describe, expect, it } from 'vitest';
import { findSettlementDisagreements } from './settlements';

const row = (date: string, source: string, highF: number, cityId = 'chicago') => ({ cityId, date, source, highF });

describe('findSettlementDisagreements', () => {
  const rows = [
    row('2025-07-01', 'cli', 87),
    row('2025-07-01', 'ghcn', 87),
    row('2025-07-01', 'asos', 88), // 1 °F: within tolerance
    row('2025-07-02', 'cli', 90),
    row('2025-07-02', 'ghcn', 90),
    row('2025-07-02', 'asos', 93), // 3 °F
    row('2025-07-03', 'cli', 80), // one source only
    row('2025-07-02', 'kalshi', 91, 'austin'),
    row('2025-07-02', 'cli', 89, 'austin'),
  ];

  it('reports days whose sources spread by more than the tolerance', () => {
    expect(findSettlementDisagreements(rows, 1)).toEqual([
      { cityId: 'austin', date: '2025-07-02', values: { cli: 89, kalshi: 91 }, min: 89, max: 91, spread: 2 },
      { cityId: 'chicago', date: '2025-07-02', values: { asos: 93, cli: 90, ghcn: 90 }, min: 90, max: 93, spread: 3 },
    ]);
  });

  it('tolerance 0 counts every difference; a large tolerance none', () => {
    expect(findSettlementDisagreements(rows, 0).map((d) => `${d.cityId} ${d.date}`)).toEqual(['austin 2025-07-02', 'chicago 2025-07-01', 'chicago 2025-07-02']);
    expect(findSettlementDisagreements(rows, 3)).toEqual([]);
  });
});
