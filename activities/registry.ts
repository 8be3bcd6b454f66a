import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import { CityIdSchema, getCity } from '../domain/cities';
import { kalshiSeries, wxCity, wxStation } from '../schemas/db';
import type { ActivityDeps } from './index';

/**
 * Stage `registry`: the city, its settlement station and its Kalshi series (current and legacy
 * tickers) as rows, so that every later stage can join on them. Upserts: running it twice changes
 * nothing, and fields filled by a backfill from Kalshi (fees, settlement sources) are never cleared.
 */
export function createRegistryActivities({ db, log }: ActivityDeps) {
  return {
    async seedCityRegistry(cityId: string): Promise<{ city: string; rows: number }> {
      const parsed = CityIdSchema.safeParse(cityId);
      if (!parsed.success) {
        throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `city: unknown city ${JSON.stringify(cityId)}` });
      }
      const city = getCity(parsed.data);
      const tickers = [city.seriesTicker, ...city.legacySeriesTickers];
      await db.transaction(async (tx) => {
        await tx
          .insert(wxCity)
          .values({
            id: city.id,
            name: city.displayName,
            zone: city.timeZone,
            standardOffsetMinutes: city.standardOffsetMinutes,
            stationIcao: city.station.icao,
            seriesTicker: city.seriesTicker,
          })
          .onConflictDoUpdate({
            target: wxCity.id,
            set: {
              name: sql`excluded.name`,
              zone: sql`excluded.zone`,
              standardOffsetMinutes: sql`excluded.standard_offset_minutes`,
              stationIcao: sql`excluded.station_icao`,
              seriesTicker: sql`excluded.series_ticker`,
              updatedAt: sql`now()`,
            },
          });
        await tx
          .insert(wxStation)
          .values({
            icao: city.station.icao,
            cityId: city.id,
            name: city.station.name,
            ghcnId: city.station.ghcnId,
            cliSite: city.station.cli.site,
            cliIssuedby: city.station.cli.issuedBy,
            lat: city.station.latitude,
            lon: city.station.longitude,
          })
          .onConflictDoUpdate({
            target: wxStation.icao,
            set: {
              cityId: sql`excluded.city_id`,
              name: sql`excluded.name`,
              ghcnId: sql`excluded.ghcn_id`,
              cliSite: sql`excluded.cli_site`,
              cliIssuedby: sql`excluded.cli_issuedby`,
              lat: sql`excluded.lat`,
              lon: sql`excluded.lon`,
              updatedAt: sql`now()`,
            },
          });
        await tx
          .insert(kalshiSeries)
          .values(tickers.map((ticker) => ({ ticker, cityId: city.id, title: `Highest temperature in ${city.displayName}`, frequency: 'daily' })))
          .onConflictDoUpdate({
            target: kalshiSeries.ticker,
            // Only the registry's own fields; title, fees and sources from Kalshi are kept.
            set: { cityId: sql`excluded.city_id`, title: sql`coalesce(${kalshiSeries.title}, excluded.title)`, updatedAt: sql`now()` },
          });
      });
      const rows = 2 + tickers.length;
      log.info({ city: city.id, rows }, 'registry: city, station and series upserted');
      return { city: city.id, rows };
    },
  };
}

export type RegistryActivities = ReturnType<typeof createRegistryActivities>;
