/**
 * The CLI's logger: the full JSON line goes to the log file, people watching the console get one
 * readable line; an Error logged under `error` (how the Temporal SDK logs activity failures) keeps its
 * message in both, instead of printing as `{}`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, readableLine } from '../../lib/logger';

describe('CLI logger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wx-logger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the error message in the file and shows one readable console line', () => {
    const file = join(dir, 'wx.log');
    // consoleLevel above fatal: this test reads the file, and renders its line as the console would.
    const log = createLogger('wx', { level: 'info', file, consoleLevel: 'silent' });
    log.warn({ error: new Error('kalshi: GET /events answered 503\nsecond line'), workflowId: 'backfill/chicago/2025-01-01..2025-01-01', activityType: 'backfillSlice' }, 'Activity failed');
    const line = readFileSync(file, 'utf8').trim().split('\n').at(-1)!;
    const event = JSON.parse(line) as { error: { message: string; type: string } };
    expect(event.error).toMatchObject({ type: 'Error', message: 'kalshi: GET /events answered 503\nsecond line' });
    expect(readableLine(line)).toBe('wx: warn: Activity failed (workflowId backfill/chicago/2025-01-01..2025-01-01, activityType backfillSlice): kalshi: GET /events answered 503');
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(readableLine('plain text\n')).toBe('plain text');
  });
});
