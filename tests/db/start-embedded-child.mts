/**
 * Test helper, run as a separate process: starts embedded PostgreSQL on argv[2] (data dir) and
 * argv[3] (port) without stopping it on exit, prints {pid, url} as JSON and exits — the "server
 * left running by a previous run" case.
 */
import { createLogger } from '../../lib/logger';
import { startEmbeddedPostgres } from '../../runtime/postgres';

const [dataDir, port] = process.argv.slice(2);
const running = await startEmbeddedPostgres({
  dataDir: dataDir!,
  port: Number(port),
  log: createLogger('child', { level: 'warn' }),
  stopOnExit: false,
});
process.stdout.write(JSON.stringify({ pid: running.pid, reused: running.reused }));
