/**
 * The live-ingest Temporal Schedules (not cron workflows): one nightly current-forecast snapshot per
 * city at 23:30 local civil time (near midnight, and never in the 01:00–03:00 hours that DST skips or
 * repeats), and one candle poll every 15 minutes over all configured cities.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { getCity, type CityId } from '../../domain/cities';
import type { Config } from '../../temporal.config';
import { CITY, STAGE, ALL_CITIES } from '../../workflows/search-attributes';

export const SCHEDULE_PREFIX = 'live-ingest/';

export function liveIngestSchedules(config: Config, cities: readonly CityId[]): ScheduleOptions[] {
  const forecast = cities.map(
    (id): ScheduleOptions => ({
      scheduleId: `${SCHEDULE_PREFIX}forecast/${id}`,
      spec: { calendars: [{ hour: 23, minute: 30 }], timezone: getCity(id).timeZone },
      action: {
        type: 'startWorkflow',
        workflowType: 'forecastSnapshotWorkflow',
        workflowId: `forecast-snapshot/${id}`,
        args: [{ city: id }],
        taskQueue: config.temporal.taskQueues.ingest,
        typedSearchAttributes: [
          { key: CITY, value: id },
          { key: STAGE, value: 'live-forecast' },
        ],
      },
      // A missed night is caught up within 6 hours; a late one after that would not be "nightly".
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6h', pauseOnFailure: false },
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
      nextActionTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      recentActions: d.info.recentActions.length,
    });
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}
