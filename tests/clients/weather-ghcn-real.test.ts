/**
 * The real GHCN-Daily `.dly` files (shared/data/real/logan_weather_prediction/ghcn) through the NCEI
 * client over HTTP: row counts, known values, agreement with the author's °F conversion, and
 * PROVENANCE check 1 — TMAX converted half up equals the CLI high Kalshi settled on (cpratim
 * `expiration_value`) on every overlapping day, Chicago (KMDW) and Austin (KAUS).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/server';
import type { World } from '../../sandbox/world';
import { SANDBOX_PATHS } from '../../temporal.config';
import { NceiClient, ghcnToSettlementRow, parseGhcnDly, tenthsCToF, type GhcnDlyValue } from '../../clients/ncei';
import type { CityId } from '../../domain/cities';
import { sharedReal } from '../support/shared';

const REAL = sharedReal().path;
const GHCN = join(REAL, 'logan_weather_prediction/ghcn');
const world = { description: 'real-ghcn', cities: ['chicago', 'austin'] } as unknown as World;

function dlyRoute(app: FastifyInstance): void {
  app.get(`${SANDBOX_PATHS.ncei}/pub/data/ghcn/daily/all/:file`, async (req, reply) =>
    reply.type('text/plain').send(readFileSync(join(GHCN, (req.params as { file: string }).file), 'utf8')),
  );
}

/** cpratim events: date → the settled CLI high (expiration_value), numeric ones only. */
function kalshiHighs(series: string): Map<string, number> {
  const dir = join(REAL, 'cpratim_kalshi_weather', series, 'events');
  const out = new Map<string, number>();
  for (const file of readdirSync(dir)) {
    const body = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { markets: Array<{ expiration_value?: string }> };
    const value = body.markets.map((m) => m.expiration_value).find((v) => v && /^-?\d+(\.\d+)?$/.test(v.trim()));
    if (value !== undefined) out.set(file.replace('.json', ''), Number(value));
  }
  return out;
}

describe.skipIf(!sharedReal().present)('real GHCN-Daily .dly files', () => {
  let sandbox: RunningSandbox;
  let ncei: NceiClient;
  const parsed = new Map<CityId, GhcnDlyValue[]>();

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, world, routes: [dlyRoute] });
    ncei = new NceiClient({ baseUrl: `${sandbox.url}${SANDBOX_PATHS.ncei}`, http: { minDelayMs: 1, maxDelayMs: 5, maxAttempts: 2 } });
    parsed.set('chicago', await ncei.ghcnDly('chicago'));
    parsed.set('austin', await ncei.ghcnDly('austin'));
  });
  afterAll(async () => sandbox?.close());

  it('KMDW and KAUS parse: counts, ranges and known values', () => {
    const mdw = parsed.get('chicago')!;
    const aus = parsed.get('austin')!;
    expect(mdw.filter((v) => v.tmaxTenthsC !== undefined)).toHaveLength(10279);
    expect(mdw.filter((v) => v.tminTenthsC !== undefined)).toHaveLength(10279);
    expect([mdw[0]!.date, mdw.at(-1)!.date]).toEqual(['1997-05-01', '2025-06-30']);
    expect(aus.filter((v) => v.tmaxTenthsC !== undefined)).toHaveLength(19407);
    expect(aus.filter((v) => v.tminTenthsC !== undefined)).toHaveLength(19349);
    expect(aus[0]!.date).toBe('1948-03-01');
    // 1997-05-01 TMAX 156 tenths °C (60.08 °F), flags "  M" on the first month.
    expect(mdw[0]).toMatchObject({ ghcnId: 'USW00014819', tmaxTenthsC: 156, tminTenthsC: 22 });
    const jul15 = mdw.find((v) => v.date === '2024-07-15')!;
    expect(jul15).toMatchObject({ tmaxTenthsC: 328, tmaxFlags: { m: '', q: '', s: 'W' } });
    expect(ghcnToSettlementRow('chicago', jul15)).toMatchObject({ source: 'ghcn', highF: 91, raw: { tmaxTenthsC: 328 } });
    // Values that failed a quality check keep their QFLAG (17 at KMDW).
    expect(mdw.reduce((n, v) => n + (v.tmaxFlags?.q ? 1 : 0) + (v.tminFlags?.q ? 1 : 0), 0)).toBe(17);
    expect(parseGhcnDly(readFileSync(join(GHCN, 'USW00014819.dly'), 'utf8'))).toHaveLength(mdw.length);
  });

  it("agrees with the author's °F conversion (logan ghcn/*.csv) on every day", () => {
    for (const [city, id] of [['chicago', 'USW00014819'], ['austin', 'USW00013904']] as const) {
      const byDate = new Map(parsed.get(city)!.map((v) => [v.date, v]));
      const lines = readFileSync(join(GHCN, `${id}.csv`), 'utf8').trim().split('\n').slice(1);
      let compared = 0;
      for (const line of lines) {
        const [date, , , , , tmax] = line.split(',');
        if (!tmax) continue;
        const v = byDate.get(date!);
        expect(v?.tmaxTenthsC, date).toBeDefined();
        expect(Math.abs(v!.tmaxTenthsC! * 0.18 + 32 - Number(tmax))).toBeLessThan(0.006);
        compared++;
      }
      expect(compared).toBeGreaterThan(10_000);
    }
  });

  it.each([
    ['chicago', 'kxhighchi', 252],
    ['austin', 'kxhighaus', 255],
  ] as const)('%s: TMAX half up equals the Kalshi settlement high on all %s… overlapping days', (city, series, expected) => {
    const byDate = new Map(parsed.get(city)!.map((v) => [v.date, v]));
    const mismatches: string[] = [];
    let matched = 0;
    for (const [date, high] of kalshiHighs(series)) {
      const v = byDate.get(date);
      if (v?.tmaxTenthsC === undefined) continue;
      if (tenthsCToF(v.tmaxTenthsC) === high) matched++;
      else mismatches.push(`${date}: ghcn ${v.tmaxTenthsC} → ${tenthsCToF(v.tmaxTenthsC)}, kalshi ${high}`);
    }
    expect(mismatches).toEqual([]);
    expect(matched).toBe(expected);
  });

  it('tenthsCToF rounds half up in exact arithmetic', () => {
    expect(tenthsCToF(306)).toBe(87); // 87.08
    expect(tenthsCToF(25)).toBe(37); // 36.5
    expect(tenthsCToF(-25)).toBe(28); // 27.5
    expect(tenthsCToF(-178)).toBe(0); // -0.04
    expect(tenthsCToF(0)).toBe(32);
  });
});
