// Worker for the `ingest` task queue (see docs/architecture.md for what runs where).
import { runWorkerProcess } from './process';

await runWorkerProcess(['ingest']);
