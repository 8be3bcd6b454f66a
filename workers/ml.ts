// Worker for the `ml` task queue (see docs/architecture.md for what runs where).
import { runWorkerProcess } from './process';

await runWorkerProcess(['ml']);
