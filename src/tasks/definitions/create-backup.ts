/**
 * CreateBackup (spec §4.14, docs/backups.md). The task locks the backup, not the instance: the
 * instance stays RUNNING and every other call goes on (spec §5, guarantee 1, first option).
 *
 * Steps (idempotent, keyed by the BackupId):
 * 1. take-backup — gather (backup row, instance, older backups of the instance), decideTurn():
 *    wait while an older backup of the instance runs or the instance is not RUNNING; then
 *    pickBackupSource() (an HA standby when it replicates); then act: the provisioner runs the
 *    job (first ending any run of the same job left by a crashed control plane) and streams it
 *    into an upload of the storage (BackupStorage.openUpload), which is committed (durable,
 *    sha256, atomic) only when the job succeeded. Run again after a crash, it simply takes the
 *    backup again.
 * 2. mark-finished — the row becomes `finished` with size, sha256, times and position.
 * On a final failure the job is ended, staged and published files are removed and the row
 * becomes `failed` with the reason: no partial file is ever presented as good.
 */
import { toolKind, BackupStatus } from '../../backups/backup-status.js';
import { decideTurn, pickBackupSource, type SourceCandidate } from '../../backups/backup-plan.js';
import { CREATE_BACKUP_TASK, type BackupTaskParams } from '../../backups/submit.js';
import { adminTarget, primaryNode } from '../../instances/nodes.js';
import type { Backup } from '../../store/backups-repo.js';
import type { Instance, Node } from '../../store/store.js';
import { NonRetryableError, type StepContext, type TaskDefinition } from '../task.js';
import { isFollowing, readReplicaHealth } from '../../ha/replication-health.js';

type Ctx = StepContext<BackupTaskParams>;

const WAIT_POLL_MS = 500;

interface Result {
  sizeBytes: number;
  sha256: string;
  gtid: string;
  binlogFile: string;
  binlogPos: number;
  finishedAt: number;
}

/** Gather and decide until it is this backup's turn; the instance is returned when it is. */
async function waitForTurn(ctx: Ctx): Promise<{ b: Backup; inst: Instance } | undefined> {
  const { svc } = ctx;
  const since = svc.clock.now();
  let lastWhy = '';
  for (;;) {
    if (svc.backups.isClosing) await new Promise<never>(() => {}); // resumed by the next serve
    const b = await svc.store.backups.get(ctx.params.backupId);
    const inst = b ? await svc.store.getInstanceAnyTenant(b.instance_uuid) : undefined;
    const d = decideTurn({
      now: svc.clock.now(), waitingSince: since, maxWaitMs: svc.config.backups.maxWaitMs, backupStatus: b?.status,
      instance: inst && { status: inst.status, deleted: inst.deleted_at !== null, detail: inst.status_detail },
      aheadOfUs: b ? await svc.store.backups.aheadOf(b) : [],
    });
    if (d.kind === 'done') return undefined;
    if (d.kind === 'fail') throw new NonRetryableError(d.why);
    if (d.kind === 'go') return { b: b!, inst: inst! };
    if (d.why !== lastWhy) ctx.log.info({ backup: ctx.params.backupId, why: d.why }, 'backup waiting');
    lastWhy = d.why;
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** Gather the nodes that should run, alive and (standby) replicating. */
async function candidates(ctx: Ctx, inst: Instance): Promise<{ nodes: Node[]; list: SourceCandidate[] }> {
  const { svc } = ctx;
  const nodes = (await svc.store.listNodes(inst.uuid)).filter((n) => n.desired === 'running');
  const primary = primaryNode(nodes);
  const list: SourceCandidate[] = [];
  for (const n of nodes) {
    const alive = (await svc.provisioner.inspect(n.id)).alive;
    let replicating: boolean | undefined;
    if (alive && n.role === 'standby') {
      replicating = isFollowing(await readReplicaHealth(svc.engine, adminTarget(svc, inst, n), primary));
    }
    list.push({ nodeId: n.id, role: n.role, alive, replicating });
  }
  return { nodes, list };
}

export const createBackupTask: TaskDefinition<BackupTaskParams> = {
  type: CREATE_BACKUP_TASK,
  steps: [
    {
      name: 'take-backup',
      async run(ctx) {
        const { svc } = ctx;
        const turn = await waitForTurn(ctx);
        if (!turn) {
          ctx.state.skip = true;
          return;
        }
        const { b, inst } = turn;
        const { nodes, list } = await candidates(ctx, inst);
        const src = pickBackupSource(list);
        if (!src.ok) throw new Error(src.why);
        const node = nodes.find((n) => n.id === src.nodeId)!;
        const target = adminTarget(svc, inst, node);
        const kind = toolKind(b.type);
        await svc.store.backups.update(b.id, { started_at: svc.clock.now(), source_node: node.id, source_role: node.role, updated_at: svc.clock.now() }, BackupStatus.running);
        ctx.log.info({ backup: b.id, kind, node: node.id, role: node.role }, 'backup started');
        const job = await svc.backups.runJob(svc.provisioner, {
          id: b.id, nodeId: node.id, kind, target, replica: node.role !== 'primary',
          databases: b.strategy === 'db' ? (JSON.parse(b.db_list) as string[]) : undefined,
          timeoutMs: svc.config.backups.jobTimeoutMs,
        }, b.file);
        const pos = { ...job.position };
        if (!pos.gtid && pos.binlogFile) pos.gtid = await svc.engine.gtidAt(target, pos.binlogFile, pos.binlogPos).catch(() => '');
        const result: Result = { ...job.artifact, ...pos, finishedAt: svc.clock.now() };
        ctx.state.result = result;
        ctx.log.info({ backup: b.id, bytes: result.sizeBytes, gtid: result.gtid }, 'backup written');
      },
    },
    {
      name: 'mark-finished',
      async run(ctx) {
        if (ctx.state.skip) return;
        const r = ctx.state.result as Result;
        await ctx.svc.store.backups.update(ctx.params.backupId, {
          status: BackupStatus.finished, size_bytes: r.sizeBytes, sha256: r.sha256, gtid: r.gtid, binlog_file: r.binlogFile,
          binlog_pos: r.binlogPos, finished_at: r.finishedAt, updated_at: ctx.svc.clock.now(),
        }, BackupStatus.running);
      },
    },
  ],

  async onError(ctx, err) {
    const { svc } = ctx;
    const b = await svc.store.backups.get(ctx.params.backupId);
    if (!b || b.status !== BackupStatus.running) return;
    const storage = svc.backups.storage;
    await svc.provisioner.abortBackup(b.id).catch((e) => ctx.log.warn({ err: e }, 'could not end the backup job'));
    await storage.discardStaged(b.file);
    await storage.remove(b.file);
    const detail = `${err.message}${b.status_detail ? ` (${b.status_detail})` : ''}`;
    await svc.store.backups.update(b.id, { status: BackupStatus.failed, status_detail: detail.slice(0, 1000), finished_at: svc.clock.now(), updated_at: svc.clock.now() }, BackupStatus.running);
    ctx.log.warn({ backup: b.id, reason: err.message }, 'backup failed');
  },
};
