/**
 * DeleteBackup (spec §4.16), also started by retention (docs/backups.md). The only path by
 * which a backup disappears. Steps (idempotent):
 * 1. remove-file — any job still writing it is ended, then the staged and published files go.
 * 2. forget      — the row goes.
 * If the task fails for good the row stays `deleting`; the scheduler starts the deletion again.
 */
import { DELETE_BACKUP_TASK, type BackupTaskParams } from '../../backups/submit.js';
import type { TaskDefinition } from '../task.js';

export const deleteBackupTask: TaskDefinition<BackupTaskParams> = {
  type: DELETE_BACKUP_TASK,
  steps: [
    {
      name: 'remove-file',
      async run(ctx) {
        const { svc } = ctx;
        const b = await svc.store.backups.get(ctx.params.backupId);
        if (!b) return;
        const storage = svc.backups.storage;
        await svc.provisioner.abortBackup(b.id);
        await storage.discardStaged(b.file);
        await storage.remove(b.file);
      },
    },
    {
      name: 'forget',
      async run(ctx) {
        await ctx.svc.store.backups.remove(ctx.params.backupId);
        ctx.log.info({ backup: ctx.params.backupId }, 'backup deleted');
      },
    },
  ],
  async onError(ctx, err) {
    await ctx.svc.store.backups.update(ctx.params.backupId, {
      status_detail: `deletion failed, it will be retried: ${err.message}`.slice(0, 1000), updated_at: ctx.svc.clock.now(),
    });
  },
};
