import { getCity, type CityId } from '../../domain/cities';
import type { SeriesRow } from '../../schemas/records';

/**
 * The Kalshi series of a city as a world serves it: fee type `quadratic` with multiplier 1 (taker fee
 * only, as recorded for KXHIGHLAX), settled on the NWS CLI of the city's station.
 */
export function seriesRowFor(id: CityId): SeriesRow {
  const c = getCity(id);
  return {
    ticker: c.seriesTicker,
    cityId: id,
    title: `Highest temperature in ${c.displayName}`,
    category: 'Climate and Weather',
    frequency: 'daily',
    feeType: 'quadratic',
    feeMultiplier: 1,
    settlementSources: [
      { name: 'National Weather Service', url: `https://forecast.weather.gov/product.php?site=${c.station.cli.site}&product=CLI&issuedby=${c.station.cli.issuedBy}` },
    ],
  };
}
