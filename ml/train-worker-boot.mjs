// Entry of a GBDT training thread (ml/train-worker.ts): registers tsx in this thread (loader hooks
// registered in the main thread do not reach workers on Node 20), then runs the TypeScript side.
import { register } from 'tsx/esm/api';

register();
const { threadMain } = await import('./train-worker.ts');
threadMain();
