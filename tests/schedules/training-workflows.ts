/**
 * The workflow bundle of tests/schedules/training-schedule.test.ts: the real scheduledTrainingWorkflow,
 * and in place of trainCityWorkflow (whose dataset and fit the ML tests cover) a stand-in under the same
 * type name that only waits, so the child a scheduled run starts stays running until the test ends it.
 */
import { condition } from '@temporalio/workflow';

export { scheduledTrainingWorkflow } from '../../workflows/scheduled-training';

export async function trainCityWorkflow(): Promise<never> {
  await condition(() => false);
  throw new Error('unreachable: the stand-in waits until it is terminated');
}
