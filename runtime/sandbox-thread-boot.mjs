// Entry of the sandbox's worker thread: registers tsx in this thread (loader hooks registered in the
// main thread do not reach workers on Node 20), then runs the TypeScript entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
