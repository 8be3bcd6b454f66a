/**
 * The product's workflows with one change that breaks determinism, for the replay test to prove it
 * catches such a change: `registryWorkflow` now waits on a timer before its activity, so its first
 * command (StartTimer) no longer matches the recorded ActivityTaskScheduled. Everything else is the
 * product's code, unchanged.
 */
import { sleep } from '@temporalio/workflow';
import { registryWorkflow as recorded } from '../../workflows/registry';

export * from '../../workflows/index';

export async function registryWorkflow(...args: Parameters<typeof recorded>): ReturnType<typeof recorded> {
  await sleep('1 second');
  return recorded(...args);
}
