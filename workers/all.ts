// One process serving every task queue: the embedded default and small deployments.
import { TASK_QUEUE_ROLES } from '../temporal.config';
import { runWorkerProcess } from './process';

await runWorkerProcess(TASK_QUEUE_ROLES);
