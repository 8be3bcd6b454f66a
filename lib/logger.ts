import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line, wherever they sit in a logged object.
 * Secrets are read inside activities and clients from the environment or files; this is the last
 * line of defence if one is ever passed to a logger by mistake.
 */
export const REDACTED_KEYS = [
  'password',
  'apiKey',
  'api_key',
  'privateKey',
  'private_key',
  'secret',
  'token',
  'authorization',
  'KALSHI-ACCESS-KEY',
  'KALSHI-ACCESS-SIGNATURE',
  'databaseUrl',
] as const;

const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`].map((p) => (/^[\w.*]+$/.test(p) ? p : p.replace(k, `["${k}"]`))));

/** A password inside a connection string (postgres://user:secret@host) is masked too. */
export function maskUrlCredentials(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

export interface LoggerOptions {
  level?: string;
  /** Also append every line to this file (the CLI keeps its console quiet and logs in full here). */
  file?: string;
  /** Level for stderr when `file` is set (default warn). */
  consoleLevel?: string;
  /** Where lines go instead of stderr (tests read them back). */
  stream?: pino.DestinationStream;
}

/** One JSON line per event, on stderr so that `--json` output on stdout stays clean. */
export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.WX_LOG_LEVEL ?? 'info';
  const options = {
    name,
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!opts.file) return pino(options, opts.stream ?? pino.destination(2));
  mkdirSync(dirname(opts.file), { recursive: true });
  const consoleLevel = opts.consoleLevel ?? 'warn';
  return pino(
    { ...options, level: minLevel(level, consoleLevel) },
    pino.multistream([
      { level: consoleLevel as pino.Level, stream: pino.destination(2) },
      { level: level as pino.Level, stream: pino.destination({ dest: opts.file, append: true, mkdir: true }) },
    ]),
  );
}

function minLevel(a: string, b: string): string {
  const v = pino.levels.values;
  return (v[a] ?? 30) <= (v[b] ?? 30) ? a : b;
}
