/**
 * Replay: every recorded history (tests/replay/histories, one or more per workflow type, recorded from
 * real runs by scripts/record-histories.ts) replays against the current workflow bundle, the very bundle
 * the workers run (workers/host.ts). A change to a workflow that would break runs already under way (a
 * command added, removed or reordered without `patched()`) fails here with DeterminismViolationError.
 * The last test proves the check bites: a deliberately changed workflow fails replay.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { createLogger } from '../../lib/logger';
import { installTemporalRuntimeLogger, workflowBundle } from '../../workers/host';
import * as workflows from '../../workflows/index';
import { loadHistories, type LoadedHistory } from './histories';

// The replay worker logs every nondeterminism it finds; the assertions below report them.
installTemporalRuntimeLogger(createLogger('replay', { level: 'error' }));
const histories = loadHistories();
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

async function replay(options: ReplayWorkerOptions, of: LoadedHistory[]) {
  const results: Array<{ file: string; error?: Error }> = [];
  let i = 0;
  for await (const r of Worker.runReplayHistories(options, of)) results.push({ file: of[i++]!.file, ...(r.error ? { error: r.error } : {}) });
  return results;
}

describe('replay of recorded workflow histories', () => {
  it('has a recorded history of every workflow type the workers register', () => {
    const registered = Object.keys(workflows).filter((k) => typeof (workflows as Record<string, unknown>)[k] === 'function').sort();
    expect(registered.length).toBeGreaterThanOrEqual(8);
    expect([...new Set(histories.map((h) => h.workflowType))].sort()).toEqual(registered);
  });

  it('replays every history against the current workflow bundle without a determinism error', async () => {
    const results = await replay({ workflowBundle: await workflowBundle(), replayName: 'wx-replay' }, histories);
    expect(results).toHaveLength(histories.length);
    const failed = results.filter((r) => r.error).map((r) => `${r.file}: ${r.error!.name}: ${r.error!.message}`);
    expect(failed).toEqual([]);
  });

  it('fails with DeterminismViolationError when a workflow changed incompatibly (registry waits on a timer first)', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./changed-workflows.ts', import.meta.url)), logger: quiet });
    const registry = histories.filter((h) => h.workflowType === 'registryWorkflow');
    const others = histories.filter((h) => h.workflowType === 'forecastSnapshotWorkflow').slice(0, 1);
    expect(registry.length).toBeGreaterThan(0);
    const results = await replay({ workflowBundle: changed, replayName: 'wx-replay-changed' }, [...registry, ...others]);
    for (const r of results.slice(0, registry.length)) {
      expect(r.error, r.file).toBeInstanceOf(DeterminismViolationError);
      expect(r.error!.message).toMatch(/nondetermin/i);
    }
    // The unchanged workflows of the same bundle still replay: the failure is the change, not the bundle.
    for (const r of results.slice(registry.length)) expect(r.error, r.file).toBeUndefined();
  });
});
