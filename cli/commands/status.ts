import type { Client } from '@temporalio/client';
import { workflowUiLink, type Config } from '../../temporal.config';
import { CITY, STAGE } from '../../workflows/search-attributes';

export interface WorkflowRow {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  city?: string;
  stage?: string;
  startTime: string;
  closeTime?: string;
  taskQueue: string;
}

/** Running workflows first, then the most recent closed ones, up to `limit` of each. */
export async function listWorkflows(client: Client, limit: number): Promise<WorkflowRow[]> {
  const rows: WorkflowRow[] = [];
  for (const query of ['ExecutionStatus = "Running"', 'ExecutionStatus != "Running"']) {
    let n = 0;
    for await (const wf of client.workflow.list({ query })) {
      rows.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        type: wf.type,
        status: wf.status.name,
        city: wf.typedSearchAttributes.get(CITY),
        stage: wf.typedSearchAttributes.get(STAGE),
        startTime: wf.startTime.toISOString(),
        closeTime: wf.closeTime?.toISOString(),
        taskQueue: wf.taskQueue,
      });
      if (++n >= limit) break;
    }
  }
  return rows;
}

export function renderWorkflowTable(rows: WorkflowRow[], config: Config): string[] {
  if (rows.length === 0) return ['no workflows yet: run `wx start`'];
  const lines = [`${'STATUS'.padEnd(11)} ${'STARTED'.padEnd(20)} ${'CITY'.padEnd(12)} ${'STAGE'.padEnd(9)} WORKFLOW ID`];
  for (const r of rows) {
    lines.push(`${r.status.padEnd(11)} ${r.startTime.slice(0, 19).padEnd(20)} ${(r.city ?? '-').padEnd(12)} ${(r.stage ?? '-').padEnd(9)} ${r.workflowId}`);
  }
  lines.push('', `Web UI: ${workflowUiLink(config, '').replace(/\/workflows\/$/, '/workflows')}`);
  return lines;
}
