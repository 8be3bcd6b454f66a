import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiBaseUrl, ConfigError, DEFAULTS, loadConfig, REAL_API_BASE_URLS, workflowUiLink } from '../../temporal.config';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('defaults to the embedded runtime, the sandbox APIs and all six cities', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/wx' });
    expect(c.dataDir).toBe('/srv/wx/data');
    expect(c.temporal.address).toBeUndefined();
    expect(c.database.url).toBeUndefined();
    expect(c.database.embeddedPort).not.toBe(5432);
    expect(c.cities).toEqual(['chicago', 'austin', 'denver', 'los_angeles', 'miami', 'philadelphia']);
    expect(apiBaseUrl(c, 'kalshi')).toBe('http://127.0.0.1:8787/kalshi/trade-api/v2');
    expect(c.temporal.taskQueues).toEqual(DEFAULTS.temporal.taskQueues);
  });

  it('takes the environment over a file over the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxcfg-'));
    writeFileSync(join(dir, 'wx.config.json'), JSON.stringify({ temporal: { port: 7300, namespace: 'filens' }, cities: ['miami'] }));
    const c = loadConfig({ env: { WX_TEMPORAL_PORT: '7400', DATABASE_URL: 'postgres://u:p@db:5432/wx', WX_APIS: 'real' }, cwd: dir });
    expect(c.temporal.port).toBe(7400);
    expect(c.temporal.namespace).toBe('filens');
    expect(c.cities).toEqual(['miami']);
    expect(c.database.url).toBe('postgres://u:p@db:5432/wx');
    expect(apiBaseUrl(c, 'nws')).toBe(REAL_API_BASE_URLS.nws);
  });

  it('names the environment variable, its value and what was expected', () => {
    expect(problems(() => loadConfig({ env: { WX_TEMPORAL_PORT: 'abc' } }))).toEqual([
      'WX_TEMPORAL_PORT="abc" (temporal.port): expected a port number',
    ]);
    expect(problems(() => loadConfig({ env: { WX_PG_PORT: '70000' } }))[0]).toBe(
      'WX_PG_PORT="70000" (database.embeddedPort): expected a port number from 1 to 65535',
    );
    expect(problems(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } }))[0]).toContain('DATABASE_URL="mysql://x" (database.url): expected a postgres:// URL');
    expect(problems(() => loadConfig({ env: { WX_CITIES: 'chicago,boston' } }))[0]).toMatch(/^WX_CITIES="chicago,boston" \(cities\.1\): Invalid option: expected one of/);
    expect(problems(() => loadConfig({ env: { WX_APIS: 'prod' } }))[0]).toMatch(/^WX_APIS="prod" \(apis\.mode\)/);
    expect(problems(() => loadConfig({ env: { TEMPORAL_ADDRESS: 'not an address' } }))[0]).toBe(
      'TEMPORAL_ADDRESS="not an address" (temporal.address): expected host:port',
    );
  });

  it('names the file, the key and the value for a bad file entry, and reports every problem at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxcfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ temporal: { uiPort: 'x' }, logLevel: 'loud' }));
    const p = problems(() => loadConfig({ env: {}, file }));
    expect(p).toHaveLength(2);
    expect(p.some((m) => m.startsWith(`temporal.uiPort = "x" in ${file}: expected a port number`))).toBe(true);
    expect(p.some((m) => m.startsWith(`logLevel = "loud" in ${file}:`))).toBe(true);
    writeFileSync(file, '{ not json');
    expect(problems(() => loadConfig({ env: {}, file }))[0]).toMatch(new RegExp(`^config file ${file}: `));
  });

  it('links to a run in the Web UI', () => {
    const c = loadConfig({ env: { WX_TEMPORAL_UI_PORT: '9233' } });
    expect(workflowUiLink(c, 'pipeline/all/2025-01-01..2025-03-31', 'abc')).toBe(
      'http://127.0.0.1:9233/namespaces/default/workflows/pipeline%2Fall%2F2025-01-01..2025-03-31/abc/history',
    );
  });
});
