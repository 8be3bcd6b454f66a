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
  /** Level for stderr when `file` is set (default warn); those lines are readable text, not JSON. */
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
    // The Temporal SDK logs failures under `error`: without a serializer an Error prints as `{}`.
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (!opts.file) return pino(options, opts.stream ?? pino.destination(2));
  mkdirSync(dirname(opts.file), { recursive: true });
  const consoleLevel = opts.consoleLevel ?? 'warn';
  return pino(
    { ...options, level: minLevel(level, consoleLevel) },
    pino.multistream([
      { level: consoleLevel as pino.Level, stream: readableConsole(process.stderr) },
      // Opened synchronously: an asynchronously opened file is not ready when a quick command (`wx ui`,
      // `wx config`) exits, and pino's exit flush then throws "sonic boom is not ready yet".
      { level: level as pino.Level, stream: pino.destination({ dest: opts.file, append: true, mkdir: true, sync: true }) },
    ]),
  );
}

/** Fields that say which work a line is about, shown after the message when present. */
const CONTEXT_KEYS = ['city', 'source', 'workflowId', 'activityType', 'taskQueue', 'url'] as const;

/**
 * One readable line per event for a person watching the CLI (the full JSON goes to the log file):
 * `wx: warn: <message> (<context>): <error message>`.
 */
export function readableLine(json: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const label = pino.levels.labels[Number(e.level)] ?? String(e.level);
  const context = CONTEXT_KEYS.filter((k) => typeof e[k] === 'string' || typeof e[k] === 'number').map((k) => `${k} ${String(e[k])}`);
  const failure = (e.err ?? e.error) as { message?: unknown } | string | undefined;
  const reason = typeof failure === 'string' ? failure : typeof failure?.message === 'string' ? failure.message : undefined;
  const text = `${String(e.name ?? 'wx')}: ${label}: ${String(e.msg ?? '')}${context.length ? ` (${context.join(', ')})` : ''}${reason ? `: ${reason}` : ''}`;
  return text.split('\n')[0]!;
}

function readableConsole(out: NodeJS.WritableStream): pino.DestinationStream {
  return { write: (line: string) => void out.write(`${readableLine(line)}\n`) };
}

function minLevel(a: string, b: string): string {
  const v = pino.levels.values;
  return (v[a] ?? 30) <= (v[b] ?? 30) ? a : b;
}
