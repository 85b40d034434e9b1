/**
 * Serve nodes sharing one store (docs/cluster.md): members and heartbeats, loop leases with fencing
 * tokens, loop state carried across a takeover, and the step log. Every time here is the database's
 * clock (`clock()`), so no node's own clock decides who owns what.
 *
 * Contracts:
 * - `tick` is one transaction: the member's heartbeat, every named loop lease taken or renewed for
 *   it when free, expired or already its own (a token +1 whenever a lease changes hands), and the
 *   task leases of members whose heartbeat is older than `memberTtlMs` made claimable.
 * - `holdsLoop` is true only while the lease is this owner's, under this token, for at least
 *   `marginMs` more: the check a loop makes right before a side effect (the HA monitor's failover).
 */
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, LoopLeaseTable, MemberTable, TaskStepTable } from './schema.js';

export type Member = Selectable<MemberTable>;
export type LoopLease = Selectable<LoopLeaseTable>;
export type TaskStep = Selectable<TaskStepTable>;

export interface MemberInfo {
  id: string;
  hostId: string;
  pid: number;
  listen: string;
  startedAt: number;
}

export class ClusterRepo {
  constructor(private readonly db: Kysely<Database>, private readonly clock: () => RawBuilder<number>) {}

  /** The database's clock, epoch ms. */
  async now(): Promise<number> {
    const r = await sql<{ now: number }>`SELECT ${this.clock()} AS now`.execute(this.db);
    return Number(r.rows[0]!.now);
  }

  /**
   * `taskLeaseMs`: the task lease length (config tasks.leaseMs). A task lease is freed only when its
   * owner's heartbeat is stale AND the lease was last set more than memberTtlMs ago: a node that
   * just claimed or renewed is alive even if its heartbeat lags (a node resumed after a pause
   * claims before its first heartbeat lands).
   */
  async tick(m: MemberInfo, loops: readonly string[], loopTtlMs: number, memberTtlMs: number, taskLeaseMs = 0): Promise<{ now: number; leases: LoopLease[]; released: number }> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock();
      await trx.insertInto('members')
        .values({ id: m.id, host_id: m.hostId, pid: m.pid, listen: m.listen, started_at: m.startedAt, heartbeat_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: (eb) => eb.ref('excluded.heartbeat_at'), listen: (eb) => eb.ref('excluded.listen') }))
        .execute();
      for (const name of loops) {
        // SET reads the old row on both backends; the WHERE keeps a live lease of another owner.
        await sql`INSERT INTO loop_leases (name, owner, token, lease_until, acquired_at)
          VALUES (${name}, ${m.id}, 1, ${now} + ${loopTtlMs}, ${now})
          ON CONFLICT (name) DO UPDATE SET
            token = CASE WHEN loop_leases.owner = excluded.owner THEN loop_leases.token ELSE loop_leases.token + 1 END,
            acquired_at = CASE WHEN loop_leases.owner = excluded.owner THEN loop_leases.acquired_at ELSE excluded.acquired_at END,
            owner = excluded.owner,
            lease_until = excluded.lease_until
          WHERE loop_leases.owner = excluded.owner OR loop_leases.lease_until < excluded.acquired_at`.execute(trx);
      }
      const leases = loops.length ? await trx.selectFrom('loop_leases').selectAll().where('name', 'in', [...loops]).execute() : [];
      const r = await trx.updateTable('tasks').set({ lease_until: 0 })
        .where('status', '=', 'DOING').where('lease_until', '>', 0)
        .where('lease_until', '<', sql<number>`${now} + ${Math.max(0, taskLeaseMs - memberTtlMs)}`)
        .where('lease_owner', 'not in', trx.selectFrom('members').select('id').where('heartbeat_at', '>', sql<number>`${now} - ${memberTtlMs}`))
        .executeTakeFirst();
      const at = await sql<{ now: number }>`SELECT ${now} AS now`.execute(trx);
      return { now: Number(at.rows[0]!.now), leases, released: Number(r.numUpdatedRows) };
    });
  }

  async holdsLoop(name: string, owner: string, token: number, marginMs: number): Promise<boolean> {
    const row = await this.db.selectFrom('loop_leases').select('name').where('name', '=', name).where('owner', '=', owner)
      .where('token', '=', token).where('lease_until', '>=', sql<number>`${this.clock()} + ${marginMs}`).executeTakeFirst();
    return row !== undefined;
  }

  /** Gives every loop lease of `owner` up at once (SIGTERM): the next tick of another node takes them. */
  async releaseLoops(owner: string): Promise<number> {
    const r = await this.db.deleteFrom('loop_leases').where('owner', '=', owner).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async removeMember(id: string): Promise<void> {
    await this.db.deleteFrom('members').where('id', '=', id).execute();
  }

  /** Forgets members silent for longer than `olderThanMs` (kill -9 leaves their rows). */
  async pruneMembers(olderThanMs: number): Promise<number> {
    const r = await this.db.deleteFrom('members').where('heartbeat_at', '<', sql<number>`${this.clock()} - ${olderThanMs}`).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async listMembers(): Promise<Member[]> {
    return this.db.selectFrom('members').selectAll().orderBy('started_at').orderBy('id').execute();
  }

  async listLoopLeases(): Promise<LoopLease[]> {
    return this.db.selectFrom('loop_leases').selectAll().orderBy('name').execute();
  }

  // --- loop state ---

  async loadLoopState(loop: string): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('loop_state').select(['key', 'value']).where('loop', '=', loop).execute();
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  async saveLoopState(loop: string, key: string, value: string, now: number): Promise<void> {
    await this.db.insertInto('loop_state').values({ loop, key, value, updated_at: now })
      .onConflict((oc) => oc.columns(['loop', 'key']).doUpdateSet({ value, updated_at: now })).execute();
  }

  async deleteLoopState(loop: string, key: string): Promise<void> {
    await this.db.deleteFrom('loop_state').where('loop', '=', loop).where('key', '=', key).execute();
  }

  // --- step log ---

  async stepStarted(s: { taskId: string; token: number; step: number; attempt: number; name: string; owner: string }): Promise<void> {
    const now = this.clock();
    await this.db.insertInto('task_steps').values({
      task_id: s.taskId, token: s.token, step: s.step, attempt: s.attempt, name: s.name, owner: s.owner, started_at: now, seen_at: now, ended_at: null,
    }).onConflict((oc) => oc.columns(['task_id', 'token', 'step', 'attempt']).doNothing()).execute();
  }

  async stepEnded(taskId: string, token: number, step: number, attempt: number, outcome: 'done' | 'failed' | 'fenced'): Promise<void> {
    const now = this.clock();
    // A fenced attempt keeps its seen_at: the last time it proved to hold the lease.
    await this.db.updateTable('task_steps').set(outcome === 'fenced' ? { ended_at: now, outcome } : { ended_at: now, seen_at: now, outcome })
      .where('task_id', '=', taskId).where('token', '=', token).where('step', '=', step).where('attempt', '=', attempt).execute();
  }

  async listSteps(taskId?: string): Promise<TaskStep[]> {
    let q = this.db.selectFrom('task_steps').selectAll();
    if (taskId !== undefined) q = q.where('task_id', '=', taskId);
    return q.orderBy('task_id').orderBy('started_at').orderBy('token').execute();
  }
}

/**
 * Pure: pairs of step rows of one task that ran on two owners at once. A row lasts from
 * `started_at` to `ended_at`; to `seen_at` (its last lease renewal) when its owner died in it or
 * its fence refused it: after that moment it did nothing but find out it had lost the task.
 */
export function overlappingSteps(rows: readonly TaskStep[]): Array<[TaskStep, TaskStep]> {
  const out: Array<[TaskStep, TaskStep]> = [];
  const byTask = new Map<string, TaskStep[]>();
  for (const r of rows) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
  for (const list of byTask.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.owner === b.owner) continue;
        const end = (s: TaskStep) => (s.ended_at === null || s.outcome === 'fenced' ? s.seen_at : s.ended_at);
        if (a.started_at < end(b) && b.started_at < end(a)) out.push([a, b]);
      }
    }
  }
  return out;
}
