/** Source `observations`: the settlement station's IEM ASOS observations, one climate day per chunk. */
import { climateDayWindowUtc } from '../../domain/climate-day';
import { wxObservation } from '../../schemas/db';
import type { AdapterFactory } from './types';

export const observationsAdapter: AdapterFactory = (ctx) => {
  const iem = ctx.clients.iem();
  return {
    async fetch(chunk) {
      const from = climateDayWindowUtc(ctx.city, chunk.from).start.toJSDate();
      const to = climateDayWindowUtc(ctx.city, chunk.to).end.toJSDate();
      const rows = await iem.asosObservations(ctx.city, { from, to });
      return [{ table: wxObservation, rows }];
    },
  };
};
