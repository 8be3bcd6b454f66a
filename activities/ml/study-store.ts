/**
 * Studies in PostgreSQL (ml.study, ml.trial): the tuner's StudyStorage over one study row, plus what
 * tuneWorkflow's activities need on top of it (an idempotent ask, heartbeats, a first-write-wins tell,
 * stale-trial detection). Every trial is written as it happens: a row when asked (params, 'running'),
 * each intermediate value when reported, the state and value when told.
 *
 * Writes that finish or change a trial only apply while it is still 'running', so a worker that lost
 * its activity (heartbeat timeout, server restart) and keeps going can no longer change a trial that
 * the workflow has already failed and re-issued.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { mlStudy, mlTrial, type Study, type Trial } from '../../schemas/db';
import { applyTrialUpdate, TrialStateError, type StudyStorage, type TrialUpdate } from '../../domain/ml/tpe/storage';
import type { FrozenTrial, Params, TrialState } from '../../domain/ml/tpe/types';
import type { BestTrial, StudyCounts, StudySpec, TellTrialResult } from '../../schemas/tune';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** First int of pg_advisory_xact_lock(int, int) for per-study locks (the second is the study id). */
const STUDY_LOCK_CLASS = 7778002;

const lockStudy = (tx: Tx, studyId: number) => tx.execute(sql`select pg_advisory_xact_lock(${STUDY_LOCK_CLASS}::int, ${studyId}::int)`);

/** A stored trial as the sampler sees it. */
export function frozenTrial(row: Pick<Trial, 'number' | 'state' | 'params' | 'value' | 'intermediateValues'>): FrozenTrial {
  const intermediate: Record<number, number> = {};
  for (const [step, value] of Object.entries(row.intermediateValues ?? {})) intermediate[Number(step)] = value;
  return {
    number: row.number,
    state: row.state,
    params: row.params as Params,
    ...(row.value !== null && row.value !== undefined ? { value: row.value } : {}),
    intermediate,
  };
}

const finite = (what: string, v: number) => {
  // jsonb and the samplers hold finite numbers only; a NaN loss is a failed trial, not a value.
  if (!Number.isFinite(v)) throw new TrialStateError(`${what} must be a finite number, got ${v}`);
};

export class PgStudyStorage implements StudyStorage {
  constructor(
    private readonly db: Db,
    readonly studyId: number,
  ) {}

  async createTrial(): Promise<number> {
    return this.db.transaction(async (tx) => {
      await lockStudy(tx, this.studyId);
      const number = await nextNumber(tx, this.studyId);
      await tx.insert(mlTrial).values({ studyId: this.studyId, number, state: 'running', heartbeatAt: new Date() });
      return number;
    });
  }

  async updateTrial(number: number, update: TrialUpdate): Promise<void> {
    if (update.intermediate) finite(`trial ${number} step ${update.intermediate.step}`, update.intermediate.value);
    if (update.value !== undefined && update.state !== 'fail') finite(`trial ${number} value`, update.value);
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(mlTrial)
        .where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.number, number)))
        .for('update');
      if (!row) throw new TrialStateError(`trial ${number}: no such trial in study ${this.studyId}`);
      const next = applyTrialUpdate(frozenTrial(row), update);
      await tx
        .update(mlTrial)
        .set({
          params: next.params,
          state: next.state,
          value: next.value ?? null,
          intermediateValues: Object.fromEntries(Object.entries(next.intermediate).map(([k, v]) => [k, v])),
          heartbeatAt: new Date(),
          ...(next.state !== 'running' ? { finishedAt: new Date() } : {}),
        })
        .where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.number, number)));
    });
  }

  async listTrials(): Promise<FrozenTrial[]> {
    const rows = await this.db.select().from(mlTrial).where(eq(mlTrial.studyId, this.studyId)).orderBy(asc(mlTrial.number));
    return rows.map(frozenTrial);
  }

  async getTrial(number: number): Promise<FrozenTrial | undefined> {
    const row = await this.row(number);
    return row ? frozenTrial(row) : undefined;
  }

  async row(number: number): Promise<Trial | undefined> {
    const [row] = await this.db.select().from(mlTrial).where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.number, number)));
    return row;
  }

  /**
   * The trial asked under `askKey`: the one a previous attempt of the same ask stored, else a new
   * trial under the next number with the parameters `sample` proposes from every trial of the study.
   * One ask at a time per study (an advisory lock), so that parallel asks see each other's running
   * trials (the constant liar needs them). Before sampling, running trials not in `owned` whose last
   * sign of life is older than `staleAfterSeconds` are marked failed: their worker or workflow is gone.
   */
  async ask(
    askKey: string,
    sample: (trials: FrozenTrial[], number: number) => Params,
    opts: { owned: readonly number[]; staleAfterSeconds: number },
  ): Promise<{ number: number; params: Params; created: boolean; markedStale: number[] }> {
    return this.db.transaction(async (tx) => {
      await lockStudy(tx, this.studyId);
      const [existing] = await tx
        .select()
        .from(mlTrial)
        .where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.askKey, askKey)));
      if (existing) return { number: existing.number, params: existing.params as Params, created: false, markedStale: [] };
      const stale = await tx.execute<{ number: number }>(sql`
        update ml.trial
           set state = 'fail', finished_at = now(),
               error = 'stale heartbeat: no sign of life since ' || coalesce(heartbeat_at, started_at)::text
         where study_id = ${this.studyId} and state = 'running'
           and coalesce(heartbeat_at, started_at) < now() - make_interval(secs => ${opts.staleAfterSeconds})
           and not (number = any(${`{${opts.owned.map((n) => Math.trunc(n)).join(',')}}`}::int[]))
        returning number`);
      const rows = await tx.select().from(mlTrial).where(eq(mlTrial.studyId, this.studyId)).orderBy(asc(mlTrial.number));
      const number = rows.length === 0 ? 0 : rows[rows.length - 1]!.number + 1;
      const params = sample(rows.map(frozenTrial), number);
      await tx.insert(mlTrial).values({ studyId: this.studyId, number, state: 'running', params, askKey, heartbeatAt: new Date() });
      return { number, params, created: true, markedStale: stale.rows.map((r) => r.number).sort((a, b) => a - b) };
    });
  }

  /** Marks a running trial alive (and who runs it); false when it is no longer running. */
  async beat(number: number, who?: { worker: string; attempt: number }): Promise<boolean> {
    const res = await this.db
      .update(mlTrial)
      .set({ heartbeatAt: new Date(), ...(who ? { worker: who.worker, attempt: who.attempt } : {}) })
      .where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.number, number), eq(mlTrial.state, 'running')))
      .returning({ number: mlTrial.number });
    return res.length > 0;
  }

  /** Stores one intermediate value of a running trial (a repeated step replaces it); false when it is no longer running. */
  async report(number: number, step: number, value: number): Promise<boolean> {
    if (!Number.isInteger(step) || step < 0) throw new TrialStateError(`trial ${number}: step must be a non-negative integer, got ${step}`);
    finite(`trial ${number} step ${step}`, value);
    const res = await this.db
      .update(mlTrial)
      .set({
        intermediateValues: sql`${mlTrial.intermediateValues} || jsonb_build_object(${String(step)}::text, ${value}::float8)`,
        heartbeatAt: new Date(),
      })
      .where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.number, number), eq(mlTrial.state, 'running')))
      .returning({ number: mlTrial.number });
    return res.length > 0;
  }

  /** Finishes a trial if it is still running (the first tell wins) and returns it as stored. */
  async tell(number: number, state: Exclude<TrialState, 'running'>, value?: number, error?: string): Promise<TellTrialResult> {
    if (state === 'complete') {
      if (value === undefined) throw new TrialStateError(`trial ${number}: complete needs a value`);
      finite(`trial ${number} value`, value);
    }
    const stored = (value !== undefined && Number.isFinite(value) && state !== 'fail') ? value : null;
    await this.db
      .update(mlTrial)
      .set({ state, value: stored, finishedAt: new Date(), ...(error ? { error: error.slice(0, 2000) } : {}) })
      .where(and(eq(mlTrial.studyId, this.studyId), eq(mlTrial.number, number), eq(mlTrial.state, 'running')));
    const row = await this.row(number);
    if (!row) throw new TrialStateError(`trial ${number}: no such trial in study ${this.studyId}`);
    if (row.state === 'running') throw new TrialStateError(`trial ${number}: still running after tell`);
    return { number, state: row.state, value: row.value, params: row.params as Params };
  }
}

async function nextNumber(tx: Tx, studyId: number): Promise<number> {
  const [r] = await tx
    .select({ next: sql<number>`coalesce(max(${mlTrial.number}) + 1, 0)::int` })
    .from(mlTrial)
    .where(eq(mlTrial.studyId, studyId));
  return r?.next ?? 0;
}

/** What a study row stores of its spec (jsonb columns as written by createStudy). */
export function storedSpec(row: Study): Omit<StudySpec, 'study'> {
  return {
    space: row.space as StudySpec['space'],
    direction: row.direction as StudySpec['direction'],
    objective: row.objective as StudySpec['objective'],
    sampler: row.sampler as StudySpec['sampler'],
    pruner: row.pruner as StudySpec['pruner'],
  };
}

export async function findStudy(db: Db, name: string): Promise<Study | undefined> {
  const [row] = await db.select().from(mlStudy).where(eq(mlStudy.name, name));
  return row;
}

export async function getStudy(db: Db, studyId: number): Promise<Study> {
  const [row] = await db.select().from(mlStudy).where(eq(mlStudy.studyId, studyId));
  if (!row) throw new TrialStateError(`no study with id ${studyId}`);
  return row;
}

/** Inserts the study, or returns the row already under that name (then `created` is false). */
export async function createOrGetStudy(db: Db, spec: StudySpec, trials: number): Promise<{ row: Study; created: boolean }> {
  const inserted = await db
    .insert(mlStudy)
    .values({
      name: spec.study,
      direction: spec.direction,
      space: spec.space as Record<string, unknown>,
      objective: spec.objective,
      sampler: spec.sampler,
      pruner: spec.pruner,
      requestedTrials: trials,
      status: 'running',
    })
    .onConflictDoNothing({ target: mlStudy.name })
    .returning();
  if (inserted[0]) return { row: inserted[0], created: true };
  const row = await findStudy(db, spec.study);
  if (!row) throw new TrialStateError(`study ${JSON.stringify(spec.study)} vanished while being opened`);
  return { row, created: false };
}

export async function setStudyStatus(db: Db, studyId: number, fields: { status?: string; requestedTrials?: number; sampler?: unknown; pruner?: unknown }): Promise<void> {
  await db
    .update(mlStudy)
    .set({
      ...(fields.status ? { status: fields.status } : {}),
      ...(fields.requestedTrials ? { requestedTrials: fields.requestedTrials } : {}),
      ...(fields.sampler ? { sampler: fields.sampler as Record<string, unknown> } : {}),
      ...(fields.pruner ? { pruner: fields.pruner as Record<string, unknown> } : {}),
      updatedAt: new Date(),
    })
    .where(eq(mlStudy.studyId, studyId));
}

export async function studyCounts(db: Db, studyId: number): Promise<StudyCounts> {
  const rows = await db
    .select({ state: mlTrial.state, n: sql<number>`count(*)::int` })
    .from(mlTrial)
    .where(eq(mlTrial.studyId, studyId))
    .groupBy(mlTrial.state);
  const counts: StudyCounts = { complete: 0, pruned: 0, fail: 0, running: 0 };
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

/** The best complete trial (lowest value when minimizing; ties: the earliest). */
export async function bestTrial(db: Db, studyId: number, direction: StudySpec['direction']): Promise<BestTrial | null> {
  const [row] = await db
    .select({ number: mlTrial.number, value: mlTrial.value, params: mlTrial.params })
    .from(mlTrial)
    .where(and(eq(mlTrial.studyId, studyId), eq(mlTrial.state, 'complete')))
    .orderBy(direction === 'minimize' ? sql`${mlTrial.value} asc` : sql`${mlTrial.value} desc`, asc(mlTrial.number))
    .limit(1);
  return row && row.value !== null ? { number: row.number, value: row.value, params: row.params as Params } : null;
}

export interface StudySummary {
  studyId: number;
  name: string;
  direction: string;
  status: string;
  objective: string | null;
  requestedTrials: number | null;
  counts: StudyCounts;
  best: BestTrial | null;
  createdAt: string;
  updatedAt: string;
}

export async function listStudies(db: Db): Promise<StudySummary[]> {
  const studies = await db.select().from(mlStudy).orderBy(asc(mlStudy.name));
  return Promise.all(studies.map((s) => summarize(db, s)));
}

export async function summarize(db: Db, s: Study): Promise<StudySummary> {
  return {
    studyId: s.studyId,
    name: s.name,
    direction: s.direction,
    status: s.status,
    objective: typeof s.objective?.name === 'string' ? s.objective.name : null,
    requestedTrials: s.requestedTrials,
    counts: await studyCounts(db, s.studyId),
    best: await bestTrial(db, s.studyId, s.direction as StudySpec['direction']),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** Every trial row of a study, in number order. */
export async function studyTrials(db: Db, studyId: number): Promise<Trial[]> {
  return db.select().from(mlTrial).where(eq(mlTrial.studyId, studyId)).orderBy(asc(mlTrial.number));
}
