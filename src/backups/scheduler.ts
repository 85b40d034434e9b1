/**
 * The backup scheduler: every `backups.schedulerIntervalMs` one round, in three parts, each
 * gather → decide (pure) → act:
 *  1. policies:  decideSchedule() (schedule.ts) → automatic backups, recorded with a
 *     compare-and-set on the policy's last_slot_at (never twice, never silently skipped);
 *  2. retention: decideHousekeeping() (housekeeping.ts) → DeleteBackup tasks for expired
 *     backups, `failed` for running backups whose task is gone, deleted instances' policies;
 *  3. leftovers: staged files of backups that are no longer running are discarded.
 * Time comes from svc.clock, so tests drive it with a fake clock.
 */
import type { Logger } from 'pino';
import { PeriodicLoop } from '../common/periodic-loop.js';
import { InstanceStatus } from '../instances/status.js';
import type { Services } from '../services.js';
import { BackupMode, BackupStatus, BackupStrategy, BackupType } from './backup-status.js';
import { decideHousekeeping } from './housekeeping.js';
import { archiveRetentionPlan } from '../archive/prune-archive.js';
import { decideSchedule, describeSlot, slotHour, tzOffsetMinutes, type PolicySnapshot } from './schedule.js';
import { newBackup, startBackupDeletion } from './submit.js';

const ACTIVE = new Set(['NEW', 'DOING']);

export class BackupScheduler extends PeriodicLoop {

  constructor(private readonly svc: Services, log: Logger) {
    super('backup scheduler', log);
  }

  protected intervalMs(): number {
    return this.svc.config.backups.schedulerIntervalMs;
  }

  async runOnce(): Promise<void> {
    await this.schedule();
    await this.housekeep();
    await this.sweepStaged();
  }

  /** Policies → automatic backups. */
  async schedule(): Promise<number> {
    const { store } = this.svc;
    const now = this.svc.clock.now();
    const snapshots: PolicySnapshot[] = [];
    for (const p of await store.backups.policies()) {
      const hour = slotHour(p.time_slot);
      if (hour === undefined) continue; // never stored: the action validates TimeSlot
      snapshots.push({
        instanceUuid: p.instance_uuid, tenantId: p.tenant_id, hour, days: parseDays(p.date_list), tzMinutes: tzOffsetMinutes(p.time_zone ?? '+00:00'),
        sign: Number(p.sign), lastSlotAt: p.last_slot_at,
        instanceGone: p.instance_status === null || p.instance_deleted_at !== null || p.instance_status === InstanceStatus.DELETING,
      });
    }
    let made = 0;
    for (const a of decideSchedule(snapshots, now)) {
      const { backup, task } = newBackup({
        tenantId: a.tenantId, instanceUuid: a.instanceUuid, type: BackupType.physical, mode: BackupMode.auto, strategy: BackupStrategy.instance,
        databases: [], description: '', now, slotAt: a.slotAt, detail: a.detail,
      });
      if (!(await store.backups.createForSlot(backup, task, a.expectLastSlotAt))) continue; // another round got there first
      made++;
      const tz = snapshots.find((s) => s.instanceUuid === a.instanceUuid)!.tzMinutes;
      const fields = { instance: a.instanceUuid, backup: backup.id, slot: describeSlot(a.slotAt, tz), late: a.late };
      if (a.missed.length) this.log.warn({ ...fields, missed: a.missed.map((m) => describeSlot(m, tz)) }, 'automatic backup slots were missed while openrds was not running; one catch-up backup covers them');
      else this.log.info(fields, 'automatic backup started');
    }
    if (made) this.svc.kickTasks();
    return made;
  }

  /** Retention and repair. */
  async housekeep(): Promise<void> {
    const { store, config } = this.svc;
    const facts = await store.backups.facts();
    const policies = await store.backups.policies();
    const actions = decideHousekeeping({
      keep: await this.windowBackups(),
      now: this.svc.clock.now(),
      autoRetentionDays: config.backups.autoRetentionDays,
      deletedInstanceRetentionDays: config.backups.deletedInstanceRetentionDays,
      backups: facts.map((f) => ({
        id: f.id, instanceUuid: f.instance_uuid, mode: f.mode, status: f.status, createdAt: f.created_at, updatedAt: f.updated_at,
        instanceDeletedAt: f.instance_exists ? f.instance_deleted_at : 0, taskActive: f.task_status !== null && ACTIVE.has(f.task_status),
      })),
      policies: policies.map((p) => ({ instanceUuid: p.instance_uuid, instanceGone: p.instance_status === null || p.instance_deleted_at !== null })),
    });
    for (const a of actions) {
      if (a.kind === 'forget-policy') {
        await store.backups.deletePolicy(a.instanceUuid);
        continue;
      }
      const b = await store.backups.get(a.id);
      if (!b) continue;
      if (a.kind === 'fail-stale') {
        await this.svc.backups.storage.discardStaged(b.file);
        await this.svc.backups.storage.remove(b.file);
        await store.backups.update(b.id, { status: BackupStatus.failed, status_detail: a.reason, finished_at: this.svc.clock.now(), updated_at: this.svc.clock.now() }, BackupStatus.running);
        this.log.warn({ backup: b.id, reason: a.reason }, 'backup marked failed');
        continue;
      }
      const { result } = await startBackupDeletion(this.svc, b);
      if (result === 'ok') this.log.info({ backup: b.id, instance: b.instance_uuid, reason: a.reason }, 'backup retention: deleting');
    }
  }

  /** The backups the binlog archive's restore windows need (src/recovery/retention.ts). */
  private async windowBackups(): Promise<Set<string>> {
    const keep = new Set<string>();
    if (!this.svc.config.archive.enabled) return keep;
    for (const inst of await this.svc.store.listLiveInstances()) {
      if (inst.parent_uuid || inst.temp_source_uuid) continue;
      for (const id of (await archiveRetentionPlan(this.svc, inst)).keepBackups) keep.add(id);
    }
    return keep;
  }

  /** Staged files whose backup is not running any more (a crash between two steps). */
  async sweepStaged(): Promise<void> {
    const storage = this.svc.backups.storage;
    for (const key of await storage.listStaged()) {
      const id = /\/(bk-[0-9a-f]+)\./.exec(key)?.[1];
      if (!id) continue; // not a backup: archive segments stage through src/archive/segment-store.ts, which redoes its own
      const b = await this.svc.store.backups.get(id);
      if (b?.status === BackupStatus.running) continue;
      await storage.discardStaged(key);
      this.log.warn({ key }, 'discarded a leftover staged backup file');
    }
  }
}

function parseDays(list: string): number[] {
  return list.split(',').filter((d) => /^[0-6]$/.test(d)).map(Number);
}
