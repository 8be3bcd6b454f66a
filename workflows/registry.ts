import { proxyActivities } from '@temporalio/workflow';
import type { RegistryActivities } from '../activities/registry';
import type { StageInput } from '../schemas/stage';

const { seedCityRegistry } = proxyActivities<RegistryActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1s', nonRetryableErrorTypes: ['InvalidInput'] },
});

/** Stage `registry`: puts one city's station and Kalshi series into the database (idempotent upserts). */
export async function registryWorkflow(input: StageInput): Promise<{ city: string; rows: number }> {
  return seedCityRegistry(input.city);
}
