/**
 * CreateBackup (spec §4.14): records the backup (listed at once as `running`) and its task
 * (src/tasks/definitions/create-backup.ts) in one transaction, answers with the TaskId. The
 * instance stays RUNNING and no call that follows is refused because of the backup (spec §5,
 * guarantee 1): the backup task locks the backup, not the instance. docs/backups.md.
 */
import { implement } from '../api/contract-params.js';
import { CreateBackup } from '../contract/backups.js';
import { argMissing, inUse, invalidParam, notFound, unsupported } from '../api/errors.js';
import { BackupMode, BackupStrategy, BackupType, newBackup } from '../backups/index.js';
import { primaryTarget, requireDatabase } from '../accounts/lookup.js';
import { InstanceStatus } from '../instances/status.js';
import { systemDatabaseProblem } from './account-params.js';

export const createBackup = implement(CreateBackup, async ({ svc, tenantId, log }, a) => {
  const uuid = a.InstanceUuid;
  const type: BackupType = a.BackupType;
  const description = a.Desc ?? '';
  const strategyParam: BackupStrategy | undefined = a.BackupStrategy;
  const dbs = a.DBList ?? [];
  const strategy = strategyParam ?? (dbs.length ? BackupStrategy.db : BackupStrategy.instance);
  if (type === BackupType.physical && strategyParam === BackupStrategy.db) {
    throw invalidParam('BackupStrategy', 'a physical backup always covers the whole instance; use BackupType logical-backup to back up single databases');
  }
  if (type === BackupType.physical && dbs.length) {
    throw invalidParam('DBList', 'a physical backup always covers the whole instance; use BackupType logical-backup to back up single databases');
  }
  if (strategy === BackupStrategy.db && dbs.length === 0) throw argMissing('DBList');
  if (strategy === BackupStrategy.instance && dbs.length) {
    throw invalidParam('DBList', 'BackupStrategy instance backs up every database; leave DBList out, or use BackupStrategy db');
  }
  const seen = new Set<string>();
  dbs.forEach((db, i) => {
    const sys = systemDatabaseProblem(db);
    if (sys) throw invalidParam(`DBList.${i}`, `${db} is a system database; only user databases can be backed up alone`);
    if (seen.has(db)) throw invalidParam(`DBList.${i}`, `${db} is given twice`);
    seen.add(db);
  });

  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  if (inst.parent_uuid) throw unsupported(`instance ${uuid} is a read-only instance; back up its primary ${inst.parent_uuid}`);
  if (inst.status !== InstanceStatus.RUNNING) throw inUse(`instance ${uuid} is ${inst.status}; a backup can be started once it is RUNNING`);
  const running = await svc.store.backups.countRunning(uuid);
  if (running >= svc.config.backups.maxPendingPerInstance) {
    throw inUse(`instance ${uuid} already has ${running} backups in progress; retry when one of them is finished`);
  }
  if (dbs.length) {
    // Every database must exist before a task is made. A primary that cannot answer is an
    // error of the call (ResourceInUse / InternalError), never a reason to skip the check.
    const target = await primaryTarget(svc, inst);
    for (const [i, db] of dbs.entries()) {
      await requireDatabase(svc, inst, target, db, `DBList.${i}`);
    }
  }

  const { backup, task } = newBackup({
    tenantId, instanceUuid: uuid, type, mode: BackupMode.manual, strategy, databases: dbs, description, now: svc.clock.now(),
  });
  await svc.store.backups.create(backup, task);
  svc.kickTasks();
  log.info({ instance: uuid, backup: backup.id, type, strategy, taskId: task.id }, 'backup started');
  return { data: { BackupId: backup.id }, taskId: task.id };
});
