/** The `wx` command as a user runs it: a real process, its exit code and what it prints. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';

function wx(args: string[], env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wxcli-'));
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'cli/wx.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WX_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('wx command line', () => {
  it('shows help for the program and each subcommand, exit 0', () => {
    const top = wx(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['start', 'status', 'ui', 'up', 'down', 'db', 'config']) expect(top.stdout).toContain(cmd);
    const start = wx(['start', '--help']);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('--cities <list>');
  });

  it.each([
    [['start', '--from', '2025-13-01'], /--from: "2025-13-01" is not a date \(expected YYYY-MM-DD\)/],
    [['start', '--cities', 'chicago,boston'], /--cities: unknown city "boston"/],
    [['start', '--from', '2025-03-01', '--to', '2025-02-01'], /--from must not be after --to/],
    [['status', '--limit', 'lots'], /--limit: "lots" is not a number/],
    [['start', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['ml', 'train', '--cities', 'gotham', '--from', '2024-01-01', '--to', '2024-12-31'], /--cities: unknown city "gotham"/],
    [['ml', 'train', '--cities', 'chicago', '--from', '2024-01-01', '--to', '2024-12-31', '--step-minutes', '2'], /--step-minutes: at least 5/],
    [['ml', 'train', '--cities', 'chicago', '--from', '2024-01-01', '--to', '2024-12-31', '--test-from', '2025-03-01'], /--test-from must fall after --from and not after --to/],
    [['ml', 'train', '--cities', 'chicago', '--from', '2024-01-01', '--to', '2024-12-31', '--params', '{nope'], /--params: /],
  ])('rejects %j with exit 2 and a message naming the argument', (args, message) => {
    const res = wx(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it('rejects a bad configuration with exit 2 naming the key and the value', () => {
    const res = wx(['ui'], { WX_TEMPORAL_UI_PORT: 'eighty' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('WX_TEMPORAL_UI_PORT="eighty" (temporal.uiPort): expected a port number');
  });

  it('prints the Web UI address, as text and as JSON', () => {
    expect(wx(['ui'], { WX_TEMPORAL_UI_PORT: '9999' }).stdout.trim()).toBe('http://127.0.0.1:9999/namespaces/default/workflows');
    expect(JSON.parse(wx(['ui', '--json']).stdout)).toEqual({ url: 'http://127.0.0.1:8233/namespaces/default/workflows' });
  });

  it('prints the resolved configuration with the database password masked', () => {
    const res = wx(['config'], { DATABASE_URL: 'postgres://wx:s3cret@db.example:5432/wx' });
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('s3cret');
    expect(JSON.parse(res.stdout).database.url).toBe('postgres://wx:***@db.example:5432/wx');
  });

  it('status says how to start Temporal when none is running (exit 1)', () => {
    const res = wx(['status'], { WX_TEMPORAL_PORT: '1' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Temporal is not running at 127\.0\.0\.1:1/);
  });
});
