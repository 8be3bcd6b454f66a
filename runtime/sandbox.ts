/**
 * The local sandbox as part of the embedded runtime: for `generated` and `recorded` worlds it serves
 * every external API on 127.0.0.1:<sandboxPort>; for the `real` world nothing is started.
 */
import { DateTime } from 'luxon';
import type { Config } from '../temporal.config';
import type { Logger } from '../lib/logger';
import type { RunningSandbox } from '../sandbox/server';
import type { FaultConfig } from '../sandbox/faults';
import { RuntimeInputError } from './errors';

export interface SandboxRange {
  from: string;
  to: string;
}

/**
 * Starts the sandbox for the configured world over the given dates (a little wider, so that markets
 * listed the day before the first date and forecasts issued days ahead exist too).
 */
export async function startConfiguredSandbox(
  config: Config,
  range: SandboxRange,
  log: Logger,
  opts: { port?: number; faults?: FaultConfig } = {},
): Promise<RunningSandbox | undefined> {
  if (config.world.kind === 'real' || config.apis.mode === 'real') return undefined;
  const [{ startSandbox }, { loadWorld }, { ALL_ROUTES }] = await Promise.all([
    import('../sandbox/server'),
    import('../sandbox/worlds/index'),
    import('../sandbox/routes/index'),
  ]);
  const from = DateTime.fromISO(range.from, { zone: 'utc' }).minus({ days: 10 }).toISODate()!;
  const to = DateTime.fromISO(range.to, { zone: 'utc' }).plus({ days: 2 }).toISODate()!;
  const world = await loadWorld({
    kind: config.world.kind,
    seed: config.world.seed,
    dir: config.world.dir,
    inefficiency: config.world.inefficiency,
    cities: config.cities,
    dates: { from, to },
  });
  const port = opts.port ?? config.apis.sandboxPort;
  try {
    return await startSandbox({ port, world, routes: ALL_ROUTES, faults: opts.faults, log });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new RuntimeInputError(`WX_SANDBOX_PORT=${port}: the sandbox's port on 127.0.0.1 is in use (another wx start or wx sandbox?); choose a free port`);
    }
    throw err;
  }
}
