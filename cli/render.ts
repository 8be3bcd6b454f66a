import type { PipelineSummary, StageProgress, StageStatus } from '../schemas/pipeline';

export const STAGE_LABEL: Record<StageStatus, string> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'FAILED',
  skipped: 'skipped (an earlier stage failed)',
  not_built: 'not built yet',
};

function seconds(s: StageProgress): string {
  if (!s.startedAt || !s.finishedAt) return '';
  return ` in ${((Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)}s`;
}

function cityCounts(s: StageProgress): string {
  const all = Object.values(s.cities);
  if (all.length === 0) return '';
  const done = all.filter((c) => c === 'done').length;
  const failed = all.filter((c) => c === 'failed').length;
  return ` ${done}/${all.length} cities done${failed ? `, ${failed} failed` : ''}`;
}

/** One progress line per stage: `[1/9] registry    running   3/6 cities done`. */
export function renderStageLine(s: StageProgress, index: number, total: number): string {
  return `[${index + 1}/${total}] ${s.stage.padEnd(9)} ${STAGE_LABEL[s.status]}${cityCounts(s)}${seconds(s)}`;
}

/** The closing summary: every stage with its status, the validation reports, then the Web UI link last. */
export function renderSummary(summary: PipelineSummary, workflowId: string, runId: string, link: string, reports: readonly string[] = []): string[] {
  const lines = ['', `Pipeline ${workflowId}`, `  run ${runId}: ${summary.ok ? 'finished' : 'FAILED'}`];
  for (const s of summary.stages) {
    lines.push(`  ${s.stage.padEnd(9)} ${STAGE_LABEL[s.status]}${cityCounts(s)}${seconds(s)}${s.error ? ` — ${s.error}` : ''}${s.note ? ` (${s.note})` : ''}`);
  }
  const counts = (st: StageStatus) => summary.stages.filter((s) => s.status === st).length;
  lines.push(`  ${counts('done')} done, ${counts('failed')} failed, ${counts('skipped')} skipped, ${counts('not_built')} not built yet`);
  for (const path of reports) lines.push(`Validation report: ${path}`);
  lines.push(`Web UI: ${link}`);
  return lines;
}
