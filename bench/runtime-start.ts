/**
 * Cold and warm start of the embedded runtime (embedded PostgreSQL + Temporal CLI dev server +
 * migrations), as `wx start` does it:
 *   cold  = a new data directory (initdb, a new SQLite file, every migration)
 *   warm  = the same data directory after `wx down` (both servers start on existing state)
 *   reuse = both servers still running from the previous start (what a second `wx start` sees)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../temporal.config';
import { createLogger } from '../lib/logger';
import { startRuntime, stopRuntime } from '../runtime';
import { freePort } from '../tests/support/ports';

export interface Sample {
  kind: 'cold' | 'warm' | 'reuse';
  totalMs: number;
  postgresMs: number;
  temporalMs: number;
  migrationsMs: number;
}

const log = createLogger('bench', { level: 'warn' });

async function once(kind: Sample['kind'], dataDir: string, ports: { t: number; ui: number; pg: number }): Promise<Sample> {
  const config = loadConfig({
    env: { WX_DATA_DIR: dataDir, WX_TEMPORAL_PORT: String(ports.t), WX_TEMPORAL_UI_PORT: String(ports.ui), WX_PG_PORT: String(ports.pg) },
  });
  const t0 = performance.now();
  const runtime = await startRuntime(config, log);
  const totalMs = performance.now() - t0;
  const ms = (part: string) => runtime.steps.find((s) => s.part === part)?.ms ?? NaN;
  return { kind, totalMs: Math.round(totalMs), postgresMs: ms('postgres'), temporalMs: ms('temporal'), migrationsMs: ms('migrations') };
}

export async function benchRuntimeStart(rounds = 3): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'wx-bench-'));
    const ports = { t: await freePort(), ui: await freePort(), pg: await freePort() };
    const config = loadConfig({ env: { WX_DATA_DIR: dataDir, WX_TEMPORAL_PORT: String(ports.t), WX_PG_PORT: String(ports.pg) } });
    try {
      samples.push(await once('cold', dataDir, ports));
      samples.push(await once('reuse', dataDir, ports));
      await stopRuntime(config, log);
      samples.push(await once('warm', dataDir, ports));
    } finally {
      await stopRuntime(config, log);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.lock`, { force: true });
    }
  }
  return samples;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}
