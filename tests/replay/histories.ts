/**
 * The recorded workflow histories (tests/replay/histories/*.json, written by
 * scripts/record-histories.ts) and how to read them back for Worker.runReplayHistories.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { z } from 'zod';

export const HISTORIES_DIR = fileURLToPath(new URL('./histories', import.meta.url));

/** One fixture file: which execution it is, and its history as `temporal workflow show --output json` prints it. */
export const RecordedHistorySchema = z.object({
  workflowType: z.string().min(1),
  workflowId: z.string().min(1),
  /** How the recorded run ended (COMPLETED, FAILED, ...). */
  status: z.string().min(1),
  history: z.object({ events: z.array(z.unknown()).min(1) }).passthrough(),
});
export type RecordedHistory = z.infer<typeof RecordedHistorySchema>;

export interface LoadedHistory extends HistoryAndWorkflowId {
  file: string;
  workflowType: string;
  status: string;
}

/** Every fixture, parsed; a malformed file fails with its name. */
export function loadHistories(dir: string = HISTORIES_DIR): LoadedHistory[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = RecordedHistorySchema.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      if (!parsed.success) throw new Error(`${file}: not a recorded history (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
      const r = parsed.data;
      return { file, workflowType: r.workflowType, status: r.status, workflowId: r.workflowId, history: historyFromJSON(r.history) };
    });
}
