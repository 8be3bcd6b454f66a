/**
 * Structure checks of the production deployment: docker-compose.yml, Dockerfile, .dockerignore and the
 * Temporal setup scripts they mount. Parses the real files; no Docker engine needed. When
 * `docker compose` is available it also validates the file with `docker compose config -q`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMPOSE_PATH = join(ROOT, 'docker-compose.yml');
const DOCKERFILE_PATH = join(ROOT, 'Dockerfile');

/** Task queue name -> worker entry file; one compose service per queue. */
const WORKER_QUEUES = ['pipeline', 'ingest', 'ml', 'backtest', 'trading'] as const;
const KALSHI_SECRET = 'kalshi_private_key';

type Dict = Record<string, unknown>;

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Dict | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Dict;
  restart?: string;
  secrets?: (string | { source: string; target?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  deploy?: { replicas?: number; restart_policy?: { condition?: string } };
  hostname?: string;
}

interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

function loadCompose(): Compose {
  const doc = parseDocument(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true });
  if (doc.errors.length > 0) throw new Error(`docker-compose.yml: ${doc.errors.map((e) => e.message).join('; ')}`);
  const data = doc.toJS({ maxAliasCount: 1000 }) as Compose;
  if (!data || typeof data !== 'object' || !data.services) throw new Error('docker-compose.yml has no services');
  return data;
}

const compose = loadCompose();
const services = compose.services;
const serviceNames = Object.keys(services);

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : value.split(/\s+/).filter(Boolean);
}

function envOf(svc: Service): Record<string, string> {
  const env = svc.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

function dependsOn(svc: Service): Record<string, string | undefined> {
  const d = svc.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, undefined]));
  return Object.fromEntries(Object.entries(d).map(([n, spec]) => [n, spec?.condition]));
}

function secretNames(svc: Service): { source: string; target: string }[] {
  return (svc.secrets ?? []).map((s) =>
    typeof s === 'string' ? { source: s, target: s } : { source: s.source, target: s.target ?? s.source },
  );
}

/** Mount target of a compose secret inside the container. */
function secretPath(target: string): string {
  return target.startsWith('/') ? target : `/run/secrets/${target}`;
}

function isOneShot(svc: Service): boolean {
  const r = svc.restart ?? 'no';
  return r === 'no' || r.startsWith('on-failure');
}

/** Services running the product's own image (built from the Dockerfile). */
const productServices = serviceNames.filter((n) => services[n]!.build !== undefined);
const longRunning = serviceNames.filter((n) => !isOneShot(services[n]!));

function workerServiceFor(queue: string): [string, Service][] {
  const entry = `workers/${queue}.ts`;
  return Object.entries(services).filter(([, svc]) => argv(svc.command).some((a) => a === entry || a.endsWith(`/${entry}`)));
}

/** Removes ${VAR}, ${VAR:-default}, ${VAR:?msg} interpolations (and $$ escapes) from a value. */
function stripInterpolation(value: string): string {
  return value.replace(/\$\{[^}]*\}/g, '').replace(/\$\$/g, '');
}

/** A value that is, or embeds, something secret-looking written literally. */
function literalSecretReason(key: string, raw: string): string | undefined {
  const value = stripInterpolation(raw);
  if (/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/.test(raw)) return 'PEM block';
  // Credentials inside a URL must come from interpolation: scheme://user:PASSWORD@host
  const url = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]+:([^@]*)@/i.exec(raw);
  if (url && stripInterpolation(url[1]!).length > 0) return 'password written into a URL';
  // Long random-looking tokens (API keys, hex/base64 secrets).
  for (const token of value.match(/[A-Za-z0-9+/=_-]{24,}/g) ?? []) {
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(token)).length;
    const hex = /^[0-9a-f]{24,}$/i.test(token);
    if (hex || classes >= 2) return `long random-looking token ${token.slice(0, 6)}…`;
  }
  // Keys named like secrets: value must come from interpolation, be empty, or be a /run/secrets path.
  if (/(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)$/i.test(key) && !/_PATH$|_FILE$/i.test(key)) {
    if (value.trim() !== '') return `secret-named variable with a literal value`;
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('parses and declares services', () => {
    expect(serviceNames.length).toBeGreaterThan(0);
    expect(productServices.length).toBeGreaterThan(0);
  });

  describe.each(WORKER_QUEUES)('worker queue %s', (queue) => {
    it('has exactly one service whose command runs its worker entry file', () => {
      const matches = workerServiceFor(queue);
      expect(matches.map(([n]) => n), `service running workers/${queue}.ts`).toHaveLength(1);
      const [, svc] = matches[0]!;
      expect(svc.build, 'worker services run the product image built from the Dockerfile').toBeDefined();
      expect(isOneShot(svc), 'workers are long-running: restart unless-stopped/always').toBe(false);
    });

    it(`workers/${queue}.ts exists in the repository`, () => {
      expect(existsSync(join(ROOT, 'workers', `${queue}.ts`)), `workers/${queue}.ts`).toBe(true);
    });

    it('waits for a migrated database and a ready Temporal namespace', () => {
      const [, svc] = workerServiceFor(queue)[0]!;
      const deps = dependsOn(svc);
      expect(deps['migrate']).toBe('service_completed_successfully');
      const temporalDeps = Object.keys(deps).filter((n) => argv(services[n]?.command).some((a) => a.includes('setup-namespace')));
      expect(temporalDeps, 'depends on the namespace/search-attribute one-shot').toHaveLength(1);
      expect(deps[temporalDeps[0]!]).toBe('service_completed_successfully');
    });
  });

  it('every depends_on target exists and its condition fits the target', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOn(svc))) {
        expect(serviceNames, `${name} depends on ${target}`).toContain(target);
        expect(target, `${name} depends on itself`).not.toBe(name);
        const dep = services[target]!;
        if (condition === 'service_healthy') expect(dep.healthcheck, `${target} needs a healthcheck (${name} waits for healthy)`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(isOneShot(dep), `${target} must be a one-shot (${name} waits for completion)`).toBe(true);
        expect(['service_started', 'service_healthy', 'service_completed_successfully', undefined]).toContain(condition);
      }
    }
  });

  it('depends_on has no cycles', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (n: string, path: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'visiting') throw new Error(`depends_on cycle: ${[...path, n].join(' -> ')}`);
      state.set(n, 'visiting');
      for (const d of Object.keys(dependsOn(services[n]!))) visit(d, [...path, n]);
      state.set(n, 'done');
    };
    for (const n of serviceNames) visit(n, []);
  });

  it('product services get DATABASE_URL and TEMPORAL_ADDRESS pointing at services of the stack', () => {
    for (const name of productServices) {
      const env = envOf(services[name]!);
      expect(env['DATABASE_URL'], `${name}: DATABASE_URL`).toMatch(/^postgres(ql)?:\/\//);
      expect(env['TEMPORAL_ADDRESS'], `${name}: TEMPORAL_ADDRESS`).toMatch(/^[\w.-]+:\d+$/);
      const dbHost = new URL(env['DATABASE_URL']!.replace(/\$\{[^}]*\}/g, 'x')).hostname;
      expect(serviceNames, `${name}: DATABASE_URL host`).toContain(dbHost);
      expect(services[dbHost]!.healthcheck, `${dbHost} healthcheck`).toBeDefined();
      expect(dependsOn(services[name]!)[dbHost], `${name} waits for ${dbHost}`).toBe('service_healthy');
      const temporalHost = env['TEMPORAL_ADDRESS']!.split(':')[0]!;
      expect(serviceNames, `${name}: TEMPORAL_ADDRESS host`).toContain(temporalHost);
    }
  });

  it('the product database is a separate postgres:17 with a volume and a healthcheck', () => {
    const dbHost = new URL(envOf(services[productServices[0]!]!)['DATABASE_URL']!.replace(/\$\{[^}]*\}/g, 'x')).hostname;
    const db = services[dbHost]!;
    expect(db.image).toMatch(/^postgres:17(\.|-|$)/);
    expect((db.volumes ?? []).map(String).some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    const temporal = Object.values(services).find((s) => envOf(s)['DB'] === 'postgres12');
    expect(temporal, 'Temporal server with PostgreSQL persistence (DB=postgres12)').toBeDefined();
    expect(envOf(temporal!)['POSTGRES_SEEDS'], 'Temporal uses its own PostgreSQL').not.toBe(dbHost);
  });

  it('has a one-shot migrate service running `wx db migrate`', () => {
    const migrate = services['migrate'];
    expect(migrate).toBeDefined();
    expect(argv(migrate!.command).join(' ')).toMatch(/cli\/wx\.ts db migrate$/);
    expect(isOneShot(migrate!)).toBe(true);
    expect(existsSync(join(ROOT, 'cli', 'wx.ts')), 'cli/wx.ts exists').toBe(true);
  });

  it('registers the City and Stage search attributes (Keyword) in a one-shot admin-tools service', () => {
    const setup = Object.entries(services).filter(([, s]) => (s.image ?? '').startsWith('temporalio/admin-tools:'));
    const scripts = setup.flatMap(([name, s]) => {
      const scriptArg = argv(s.command).find((a) => a.startsWith('/scripts/'));
      if (!scriptArg) return [];
      const mount = (s.volumes ?? []).map(String).find((v) => v.split(':')[1] === '/scripts');
      expect(mount, `${name} mounts /scripts`).toBeDefined();
      const hostDir = join(ROOT, mount!.split(':')[0]!);
      const file = join(hostDir, scriptArg.slice('/scripts/'.length));
      expect(existsSync(file), `${name}: ${file}`).toBe(true);
      expect(isOneShot(s), `${name} is a one-shot`).toBe(true);
      return [readFileSync(file, 'utf8')];
    });
    const text = scripts.join('\n');
    expect(text).toMatch(/search-attribute create/);
    expect(text).toMatch(/--type Keyword/);
    expect(text).toMatch(/City/);
    expect(text).toMatch(/Stage/);
  });

  it('has the Temporal Web UI', () => {
    const ui = Object.values(services).find((s) => (s.image ?? '').startsWith('temporalio/ui:'));
    expect(ui).toBeDefined();
    expect(envOf(ui!)['TEMPORAL_ADDRESS']).toMatch(/^[\w.-]+:7233$/);
  });

  it('pins third-party image versions', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build !== undefined) continue;
      expect(svc.image, `${name}: image`).toBeDefined();
      const tag = svc.image!.split(':')[1];
      expect(tag, `${name}: ${svc.image} has a tag`).toBeDefined();
      expect(tag).not.toBe('latest');
      if (svc.image!.startsWith('temporalio/')) expect(tag, `${name}: exact Temporal version`).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('long-running services restart; one-shots do not restart forever', () => {
    for (const name of longRunning) expect(['unless-stopped', 'always'], `${name}: restart`).toContain(services[name]!.restart);
    for (const [name, svc] of Object.entries(services)) {
      if (isOneShot(svc)) expect(svc.deploy?.replicas ?? 1, `${name}: one-shot runs once`).toBe(1);
    }
  });

  it('shows scaling with deploy.replicas and keeps the live trader at one fixed-identity replica', () => {
    const replicated = Object.values(services).filter((s) => (s.deploy?.replicas ?? 1) > 1);
    expect(replicated.length, 'at least one worker queue runs several replicas').toBeGreaterThan(0);
    const [, trading] = workerServiceFor('trading')[0]!;
    expect(trading.deploy?.replicas).toBe(1);
    expect(trading.hostname, 'fixed hostname: part of the Temporal worker identity').toBeTruthy();
  });

  it('no environment value is a literal secret', () => {
    const offenders: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(svc))) {
        const reason = literalSecretReason(key, value);
        if (reason) offenders.push(`${name}.${key}: ${reason}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(readFileSync(COMPOSE_PATH, 'utf8')).not.toMatch(/-----BEGIN/);
  });

  it('the secret detector itself flags literal secrets', () => {
    expect(literalSecretReason('X', '-----BEGIN RSA PRIVATE KEY-----\nabc')).toBeDefined();
    expect(literalSecretReason('DATABASE_URL', 'postgres://wx:hunter2@db:5432/wx')).toBeDefined();
    expect(literalSecretReason('VISUAL_CROSSING_API_KEY', 'Q3K9ZP2M7XW4RT8YB6N5VC1LJ0')).toBeDefined();
    expect(literalSecretReason('KALSHI_API_KEY_ID', '0f3c2a9e-7b1d-4c55-9a1e-3d2b8c7f6a10a9e7')).toBeDefined();
    expect(literalSecretReason('POSTGRES_PASSWORD', 'temporal')).toBeDefined();
    expect(literalSecretReason('DATABASE_URL', 'postgres://wx:${WX_DB_PASSWORD:?x}@wx-postgres:5432/wx')).toBeUndefined();
    expect(literalSecretReason('KALSHI_PRIVATE_KEY_PATH', '/run/secrets/kalshi_private_key')).toBeUndefined();
    expect(literalSecretReason('DYNAMIC_CONFIG_FILE_PATH', 'config/dynamicconfig/production-sql.yaml')).toBeUndefined();
  });

  it('the Kalshi private key is a compose secret file mounted at KALSHI_PRIVATE_KEY_PATH', () => {
    const declared = compose.secrets?.[KALSHI_SECRET];
    expect(declared, `top-level secrets.${KALSHI_SECRET}`).toBeDefined();
    expect(declared!.file, `secrets.${KALSHI_SECRET}.file`).toBeTruthy();
    expect(declared!.file).not.toMatch(/-----BEGIN/);

    const users = Object.entries(services).filter(([, s]) => 'KALSHI_PRIVATE_KEY_PATH' in envOf(s));
    expect(users.map(([n]) => n), 'the trading worker reads the Kalshi key').toContain(workerServiceFor('trading')[0]![0]);
    for (const [name, svc] of users) {
      const mounted = secretNames(svc).find((s) => s.source === KALSHI_SECRET);
      expect(mounted, `${name} mounts secret ${KALSHI_SECRET}`).toBeDefined();
      expect(envOf(svc)['KALSHI_PRIVATE_KEY_PATH']).toBe(secretPath(mounted!.target));
      expect(envOf(svc)['KALSHI_PRIVATE_KEY_PATH']).toBe('/run/secrets/kalshi_private_key');
    }
    // Never the key itself in an environment variable.
    for (const [name, svc] of Object.entries(services)) {
      for (const key of Object.keys(envOf(svc))) expect(key, `${name}`).not.toMatch(/^KALSHI_PRIVATE_KEY$/);
    }
  });

  it('every service secret is declared at top level', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const s of secretNames(svc)) expect(Object.keys(compose.secrets ?? {}), `${name} secret ${s.source}`).toContain(s.source);
    }
  });

  it('named volumes are declared, bind mounts exist, databases persist', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? (v.includes(':') ? v.split(':')[0]! : '') : v.source ?? '';
        if (source === '') continue; // anonymous volume
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(resolve(ROOT, source)), `${name}: bind mount ${source}`).toBe(true);
        } else {
          expect(declared, `${name}: volume ${source}`).toContain(source);
        }
      }
    }
    for (const [name, svc] of Object.entries(services)) {
      if (!(svc.image ?? '').startsWith('postgres:')) continue;
      const named = (svc.volumes ?? []).map(String).filter((v) => v.endsWith(':/var/lib/postgresql/data') && !v.startsWith('.'));
      expect(named, `${name}: named data volume`).toHaveLength(1);
    }
  });

  const hasCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  const composeTitle = hasCompose
    ? '`docker compose config -q` accepts the file'
    : '`docker compose config -q` accepts the file — SKIPPED: `docker compose` is not available on this machine';
  it.skipIf(!hasCompose)(composeTitle, () => {
    const dir = mkdtempSync(join(tmpdir(), 'wx-compose-'));
    try {
      const keyFile = join(dir, 'kalshi.pem');
      writeFileSync(keyFile, 'placeholder\n');
      const res = spawnSync('docker', ['compose', '-f', COMPOSE_PATH, '--project-directory', ROOT, 'config', '-q'], {
        encoding: 'utf8',
        env: {
          ...process.env,
          TEMPORAL_DB_PASSWORD: 'test-only',
          WX_DB_PASSWORD: 'test-only',
          KALSHI_PRIVATE_KEY_FILE: keyFile,
        },
      });
      expect(res.status, res.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(DOCKERFILE_PATH, 'utf8');
  // Join line continuations, drop comments.
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages = lines.reduce<string[][]>((acc, l) => {
    if (/^FROM\s/i.test(l)) acc.push([]);
    acc.at(-1)?.push(l);
    return acc;
  }, []);
  const final = stages.at(-1) ?? [];
  const instr = (stage: string[], name: string) => stage.filter((l) => new RegExp(`^${name}\\s`, 'i').test(l));
  const execForm = (l: string): string[] => {
    const rest = l.replace(/^\w+\s+/, '');
    return rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  };

  it('builds from node:24-bookworm-slim (the current LTS)', () => {
    const args = Object.fromEntries(
      lines.filter((l) => /^ARG\s/i.test(l)).map((l) => l.replace(/^ARG\s+/i, '').split('=') as [string, string]),
    );
    for (const from of lines.filter((l) => /^FROM\s/i.test(l))) {
      const image = from.split(/\s+/)[1]!.replace(/^\$\{(\w+)\}$/, (_, v: string) => args[v] ?? '');
      expect(image, from).toBe('node:24-bookworm-slim');
    }
  });

  it('installs with npm ci and WX_SKIP_TOOLS=1 (no Temporal binaries in the image)', () => {
    const ciStage = stages.find((s) => s.some((l) => /^RUN\s.*\bnpm ci\b/i.test(l)));
    expect(ciStage, 'a stage runs npm ci').toBeDefined();
    expect(ciStage!.some((l) => /^ENV\s.*WX_SKIP_TOOLS=1/i.test(l) || /WX_SKIP_TOOLS=1\s+npm ci/.test(l))).toBe(true);
    // the postinstall script must be in the build context before npm ci
    expect(ciStage!.some((l) => /^COPY\s.*scripts\/install-tools\.mjs/i.test(l))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const users = instr(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(/\s+/)[1]!;
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('CMD/ENTRYPOINT references files that exist in the repository', () => {
    const cmd = instr(final, 'CMD').at(-1);
    expect(cmd, 'final stage has a CMD').toBeDefined();
    const words = [...execForm(cmd!), ...instr(final, 'ENTRYPOINT').flatMap(execForm)];
    const files = words.filter((w) => /\.(ts|mts|js|mjs|cjs)$/.test(w));
    expect(files).toContain('workers/all.ts');
    for (const f of files) expect(existsSync(join(ROOT, f)), `${f} exists`).toBe(true);
  });

  it('.dockerignore keeps local state out of the build context', () => {
    const entries = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/\/$/, ''))
      .filter((l) => l && !l.startsWith('#'));
    for (const e of ['node_modules', 'data', '.tools', '.git', '.env', 'secrets']) expect(entries, e).toContain(e);
  });
});
