/**
 * The sandbox inside a worker thread (started by runtime/sandbox.ts): loads the world, listens, posts
 * `{ ready: { url, port } }` or `{ error }`, and closes when the parent posts 'close'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveConfiguredWorld, type SandboxThreadData } from './sandbox';

const data = workerData as SandboxThreadData;
try {
  const sandbox = await serveConfiguredWorld(data.world, data.range, { port: data.port, ...(data.faults ? { faults: data.faults } : {}) });
  parentPort!.on('message', (m: unknown) => {
    if (m !== 'close') return;
    void sandbox.close().then(
      () => parentPort!.postMessage({ closed: true }),
      (err: unknown) => parentPort!.postMessage({ closed: true, error: serializeError(err) }),
    );
  });
  parentPort!.postMessage({ ready: { url: sandbox.url, port: sandbox.port } });
} catch (err) {
  parentPort!.postMessage({ error: serializeError(err) });
}

function serializeError(err: unknown): { name: string; message: string; code?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}
