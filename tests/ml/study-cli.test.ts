/**
 * `wx ml study` as a user runs it (real processes; the embedded PostgreSQL and Temporal dev server in
 * a private data directory): bad input exits 2 with one line naming the field before anything starts
 * or is written; `run` runs a study with in-process workers and resumes it by name; `list` and `show`
 * print what the database holds, as JSON checked against the trials themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { branin, BRANIN_SPACE } from '../../domain/ml/tpe/test-functions';
import type { TuneProgress } from '../../schemas/tune';
import type { StudyView } from '../../cli/commands/ml-study';
import type { StudySummary } from '../../activities/ml/study-store';
import { disposeWxWorld, newWxWorld, runWx, type WxWorld } from '../support/wx-process';

describe('wx ml study list | show | run', { timeout: 240_000 }, () => {
  let world: WxWorld;
  let files: string;
  const file = (name: string, content: unknown) => {
    const path = join(files, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeAll(async () => {
    world = await newWxWorld();
    files = mkdtempSync(join(tmpdir(), 'wx-study-cli-'));
  });
  afterAll(async () => {
    if (world) await disposeWxWorld(world);
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it('rejects bad input with one line naming the field, exit 2, before anything starts', async () => {
    const good = file('space.json', BRANIN_SPACE);
    const cases: Array<[string[], string]> = [
      [['--space', file('low-high.json', { x1: { type: 'float', low: 5, high: 1 }, x2: BRANIN_SPACE.x2 }), '--objective', 'branin', '--trials', '3'], 'space.x1.high: high 1 < low 5'],
      [['--space', file('log.json', { x1: { type: 'float', low: 0, high: 1, log: true }, x2: BRANIN_SPACE.x2 }), '--objective', 'branin', '--trials', '3'], 'space.x1.low: log needs low > 0'],
      [['--space', file('type.json', { x1: { type: 'double', low: 0, high: 1 } }), '--objective', 'branin', '--trials', '3'], 'space.x1.type: expected float, int or categorical'],
      [['--space', file('broken.json', '{"x1": '), '--objective', 'branin', '--trials', '3'], 'not JSON'],
      [['--space', join(files, 'absent.json'), '--objective', 'branin', '--trials', '3'], `--space: cannot read ${join(files, 'absent.json')} (ENOENT)`],
      [['--space', good, '--objective', 'nope', '--trials', '3'], 'objective.name: unknown objective "nope" (expected one of branin, hartmann6, gbdt, bracket)'],
      [['--space', good, '--objective', 'branin', '--objective-options', '{"stepMs": -1}', '--trials', '3'], 'objective.options.stepMs: -1 rejected'],
      [['--space', good, '--objective', 'branin', '--objective-options', '{"stepz": 1}', '--trials', '3'], 'objective.options.stepz: unknown option (expected steps, stepMs)'],
      [['--space', good, '--objective', 'hartmann6', '--trials', '3'], 'space: objective hartmann6 reads x0, x3, x4, x5'],
      [['--space', good, '--objective', 'branin', '--trials', '0'], '--trials: "0" is below 1'],
      [['--space', good, '--objective', 'branin'], '--trials N is required'],
      [['--space', good, '--objective', 'branin', '--trials', '3', '--sampler-options', '{"nStartup": 3}'], 'sampler.options.nStartup: unknown option'],
      [['--space', good, '--objective', 'branin', '--trials', '3', '--pruner', 'median', '--pruner-options', '{"nWarmupSteps": -1}'], 'pruner.options.nWarmupSteps: -1 rejected'],
    ];
    // Every case through the command's own parsing, in this process (the checks run before any server starts)...
    const { buildProgram } = await import('../../cli/wx');
    for (const [args, message] of cases) {
      const program = buildProgram();
      program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
      const err = await program.parseAsync(['ml', 'study', 'run', 'bad', ...args], { from: 'user' }).then(() => undefined, (e: unknown) => e);
      expect(err, message).toBeInstanceOf(Error);
      expect((err as Error).name, message).toBe('UsageError');
      expect((err as Error).message).toContain(message);
      expect((err as Error).message).not.toContain('\n');
    }
    // ...and two as a user sees them: exit 2, one line, no stack trace.
    const results = await Promise.all([cases[0]!, cases[6]!].map(([args]) => runWx(world, ['ml', 'study', 'run', 'bad', ...args])));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('wx:'));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain([cases[0]!, cases[6]!][i]![1]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
    // Nothing started, so nothing was written: no database, no Temporal state.
    expect(existsSync(join(world.dataDir, 'pg'))).toBe(false);
    expect(existsSync(join(world.dataDir, 'temporal'))).toBe(false);
  });

  it('runs a study, resumes it by name, refuses another space, and lists and shows it', async () => {
    const space = file('space.json', BRANIN_SPACE);
    const t0 = Date.now();
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const run = await runWx(world, ['ml', 'study', 'run', 'cli-branin', '--space', space, '--objective', 'branin', '--trials', '6', '--parallel', '2', '--seed', '3', '--json']);
    mark('run (runtime started)');
    expect(run.code, run.stderr).toBe(0);
    const first = JSON.parse(run.stdout) as TuneProgress;
    expect(first).toMatchObject({ study: 'cli-branin', status: 'done', done: 6, complete: 6 });
    expect(run.stderr).toContain('wx: new study cli-branin');

    // Another space under the same name: exit 2, naming the field, nothing run.
    const other = file('other.json', { ...BRANIN_SPACE, x2: { type: 'float', low: 0, high: 14 } });
    const refused = await runWx(world, ['ml', 'study', 'run', 'cli-branin', '--space', other, '--objective', 'branin', '--trials', '8']);
    mark('refused');
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('wx: study "cli-branin" exists with another space: space.x2.high is 15 there, 14 here');

    const resumed = await runWx(world, ['ml', 'study', 'run', 'cli-branin', '--space', space, '--objective', 'branin', '--trials', '8', '--parallel', '2', '--seed', '3']);
    mark('resumed');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('wx: resuming study cli-branin');
    expect(resumed.stdout).toMatch(/study cli-branin done: 8 complete, 0 pruned, 0 failed; best /);

    // Read-only, so at once.
    const [listed, shown, text, missing] = await Promise.all([
      runWx(world, ['ml', 'study', 'list', '--json']),
      runWx(world, ['ml', 'study', 'show', 'cli-branin', '--json']),
      runWx(world, ['ml', 'study', 'show', 'cli-branin', '--top', '3']),
      runWx(world, ['ml', 'study', 'show', 'no-such-study']),
    ]);
    mark('list and show');
    console.info(`wx ml study timeline: ${timeline.join(', ')}`);
    expect(listed.code, listed.stderr).toBe(0);
    const list = JSON.parse(listed.stdout) as StudySummary[];
    expect(list.map((s) => s.name)).toEqual(['cli-branin']);

    expect(shown.code, shown.stderr).toBe(0);
    const view = JSON.parse(shown.stdout) as StudyView;
    expect(view.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const t of view.trials) {
      expect(t.state).toBe('complete');
      expect(t.value).toBeCloseTo(branin(t.params.x1 as number, t.params.x2 as number), 10);
      expect(t.intermediate).toEqual({ '0': t.value });
    }
    const best = view.trials.reduce((a, b) => (b.value! < a.value! ? b : a));
    expect(view.best).toEqual({ number: best.number, value: best.value, params: best.params });
    expect(list[0]).toMatchObject({ studyId: view.studyId, status: 'complete', objective: 'branin', requestedTrials: 8, counts: { complete: 8, pruned: 0, fail: 0, running: 0 }, best: view.best });
    expect(view.space).toEqual(BRANIN_SPACE);
    expect(Object.keys(view.importance).sort()).toEqual(['x1', 'x2']);
    // Shares of the objective's variation: each in [0, 1], summing to 1 (or all 0 when nothing explains any).
    const shares = Object.values(view.importance);
    for (const v of shares) expect(v >= 0 && v <= 1).toBe(true);
    const sum = shares.reduce((a, b) => a + b, 0);
    expect(sum === 0 || Math.abs(sum - 1) < 1e-9, String(sum)).toBe(true);

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`best: trial ${best.number}, value `);
    expect(text.stdout.split('\n').filter((l) => /^ {2}#\d/.test(l))).toHaveLength(3);

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('wx: NAME: no study "no-such-study" (see `wx ml study list`)');
  });
});
