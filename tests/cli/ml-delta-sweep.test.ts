/** `wx ml delta-sweep` as a user runs it: bad flags exit 2 with one line naming the flag and the value, before anything starts. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../runtime/temporal-cli';

function wx(args: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wxcli-delta-'));
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'cli/wx.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WX_DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, dataDir };
}

const base = ['ml', 'delta-sweep', '--city', 'chicago', '--from', '2024-01-01', '--to', '2024-12-31'];

describe('wx ml delta-sweep flags', () => {
  it('lists its flags in --help', () => {
    const res = wx(['ml', 'delta-sweep', '--help']);
    expect(res.code).toBe(0);
    for (const flag of ['--city <city>', '--baselines <list>', '--ranges <list>', '--test-from <date>']) expect(res.stdout).toContain(flag);
  });

  it.each([
    [['ml', 'delta-sweep', '--city', 'gotham', '--from', '2024-01-01', '--to', '2024-12-31'], /^wx: --city: unknown city "gotham"/],
    [[...base, '--baselines', 'forecast,median'], /^wx: --baselines: unknown baseline "median"/],
    [[...base, '--ranges', '4,zero'], /^wx: --ranges: "zero" is not a whole number/],
    [[...base, '--ranges', '0'], /^wx: --ranges: "0" is not a whole number of °F from 1 to 40/],
    [[...base, '--ranges', '2.5'], /^wx: --ranges: "2.5" is not a whole number/],
    [['ml', 'delta-sweep', '--city', 'chicago', '--from', '2024-02-30', '--to', '2024-12-31'], /^wx: --from: "2024-02-30" is not a date/],
    [[...base, '--test-from', '2025-03-01'], /^wx: --test-from must fall after --from and not after --to/],
    [[...base, '--params', '[1]'], /^wx: --params: "\[1\]" is not a JSON object/],
  ])('rejects %j with exit 2 and one line naming the flag', (args, message) => {
    const res = wx(args);
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    // Nothing started: no runtime, no logs, no datasets under the data directory.
    expect(readdirSync(res.dataDir)).toEqual([]);
  });
});
