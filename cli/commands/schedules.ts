/**
 * The live-ingest Temporal Schedules (not cron workflows). Per city, three current-forecast snapshots
 * (forecastSnapshotWorkflow), so a strategy has what the sources said when it decides:
 *   - `forecast-open/<city>`: 09:45 America/New_York daily, before Kalshi lists the next day's markets
 *     at 10:00 ET (kalshi-weather-markets.md, open_time), so the listing-time forecast is in hand at the open;
 *   - `forecast-hourly/<city>`: every hour at :05 from 07:05 to 22:05 local civil time, through the
 *     trading hours in which the day's high forms (the nightly one covers 23:30);
 *   - `forecast/<city>`: 23:30 local civil time (near midnight, before the next climate day).
 * None falls in the 01:00–03:00 local hours that DST skips or repeats. One candle poll every 15 minutes
 * over all configured cities, which also stores each open market's order book.
 * Every row is stamped with `available_at` by the clients, as in the backfill (domain/known-at.ts).
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { getCity, type CityId } from '../../domain/cities';
import type { Config } from '../../temporal.config';
import type { ForecastSnapshotInput, SnapshotTrigger } from '../../schemas/live-ingest';
import { CITY, STAGE, ALL_CITIES } from '../../workflows/search-attributes';

export const SCHEDULE_PREFIX = 'live-ingest/';

/** Kalshi lists an event's markets at 10:00 in this zone, the day before the climate date. */
export const LISTING_ZONE = 'America/New_York';

/** When each forecast snapshot fires, in which zone, and how late a missed one may still run. */
export function forecastSnapshotSpec(trigger: SnapshotTrigger, city: CityId): Pick<ScheduleOptions, 'spec'> & { catchupWindow: string; idPart: string } {
  switch (trigger) {
    case 'open':
      // After the open the listing-time forecast is still the best one to have; after 10:45 the hourly one takes over.
      return { idPart: 'forecast-open', spec: { calendars: [{ hour: 9, minute: 45 }], timezone: LISTING_ZONE }, catchupWindow: '1h' };
    case 'hourly':
      // A snapshot more than half an hour late is replaced by the next hour's.
      return { idPart: 'forecast-hourly', spec: { calendars: [{ hour: { start: 7, end: 22 }, minute: 5 }], timezone: getCity(city).timeZone }, catchupWindow: '30m' };
    case 'nightly':
      // A missed night is caught up within 6 hours; a late one after that would not be "nightly".
      return { idPart: 'forecast', spec: { calendars: [{ hour: 23, minute: 30 }], timezone: getCity(city).timeZone }, catchupWindow: '6h' };
  }
}

const TRIGGERS: readonly SnapshotTrigger[] = ['open', 'hourly', 'nightly'];

export function liveIngestSchedules(config: Config, cities: readonly CityId[]): ScheduleOptions[] {
  const forecast = cities.flatMap((id) =>
    TRIGGERS.map((trigger): ScheduleOptions => {
      const { idPart, spec, catchupWindow } = forecastSnapshotSpec(trigger, id);
      const input: ForecastSnapshotInput = { city: id, trigger };
      return {
        scheduleId: `${SCHEDULE_PREFIX}${idPart}/${id}`,
        spec,
        action: {
          type: 'startWorkflow',
          workflowType: 'forecastSnapshotWorkflow',
          workflowId: `forecast-snapshot/${trigger}/${id}`,
          args: [input],
          taskQueue: config.temporal.taskQueues.ingest,
          typedSearchAttributes: [
            { key: CITY, value: id },
            { key: STAGE, value: 'live-forecast' },
          ],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow, pauseOnFailure: false },
      };
    }),
  );
  const candles: ScheduleOptions = {
    scheduleId: `${SCHEDULE_PREFIX}candles`,
    spec: { intervals: [{ every: '15m' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'candlePollWorkflow',
      workflowId: 'candle-poll',
      args: [{ cities: [...cities], lookbackMinutes: 90 }],
      taskQueue: config.temporal.taskQueues.ingest,
      typedSearchAttributes: [
        { key: CITY, value: cities.length === 1 ? cities[0]! : ALL_CITIES },
        { key: STAGE, value: 'live-candles' },
      ],
    },
    // Polls overlap by design (90-minute lookback); a skipped one is simply not caught up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m', pauseOnFailure: false },
  };
  return [...forecast, candles];
}

/** Creates the schedules that do not exist yet; returns the ids created and those already there. */
export async function ensureSchedules(client: Client, schedules: ScheduleOptions[]): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  for (const options of schedules) {
    try {
      await client.schedule.create(options);
      created.push(options.scheduleId);
    } catch (err) {
      if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
      existing.push(options.scheduleId);
    }
  }
  return { created, existing };
}

export interface ScheduleRow {
  scheduleId: string;
  paused: boolean;
  note?: string;
  workflowType?: string;
  /** The cron a schedule was created with (kept in its memo: describe() returns it compiled into calendars). */
  cron?: string;
  nextActionTimes: string[];
  recentActions: number;
}

export async function listSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    const d: ScheduleDescription = await client.schedule.getHandle(s.scheduleId).describe();
    rows.push({
      scheduleId: s.scheduleId,
      paused: d.state.paused,
      note: d.state.note,
      workflowType: d.action.type === 'startWorkflow' ? d.action.workflowType : undefined,
      cron: typeof d.memo?.cron === 'string' ? d.memo.cron : undefined,
      nextActionTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      recentActions: d.info.recentActions.length,
    });
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}
