/**
 * DeleteBackup (spec §4.16): a finished or failed backup becomes `deleting` and its DeleteBackup
 * task removes the file, then the record. A running backup → ResourceInUse.
 */
import { implement } from '../api/contract-params.js';
import { DeleteBackup } from '../contract/backups.js';
import { inUse, notFound } from '../api/errors.js';
import { startBackupDeletion } from '../backups/index.js';
import { backupOf } from './backup-params.js';

export const deleteBackup = implement(DeleteBackup, async ({ svc, tenantId, log }, a) => {
    const { b } = await backupOf(svc, tenantId, a);
    const { result, taskId } = await startBackupDeletion(svc, b);
    switch (result) {
      case 'ok':
        log.info({ backup: b.id, instance: b.instance_uuid, taskId }, 'backup deletion started');
        return { data: {}, taskId };
      case 'missing':
        throw notFound('backup', b.id);
      case 'running':
        throw inUse(`backup ${b.id} is still running; delete it once its Status is finished or failed`);
      case 'deleting':
        throw inUse(`backup ${b.id} is already being deleted`);
      case 'busy':
        throw inUse(`backup ${b.id} is busy with another task; retry in a moment`);
    }
});
