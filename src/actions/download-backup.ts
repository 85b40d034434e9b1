/**
 * DownloadBackup (spec §4.17): the backup's §4.15 fields and two signed URLs (public and
 * intranet base URL) served by `openrds serve` itself, valid for `backups.urlTtlSeconds`.
 */
import { implement } from '../api/contract-params.js';
import { DownloadBackup } from '../contract/backups.js';
import { inUse, notFound, unsupported } from '../api/errors.js';
import { BackupStatus } from '../backups/index.js';
import { apiTime } from './present.js';
import { backupOf, presentBackup } from './backup-params.js';

export const downloadBackup = implement(DownloadBackup, async ({ svc, tenantId }, a) => {
    const { b } = await backupOf(svc, tenantId, a);
    if (b.status === BackupStatus.running) throw inUse(`backup ${b.id} is not finished yet; retry when its Status is finished`);
    if (b.status === BackupStatus.failed) throw unsupported(`backup ${b.id} failed (${b.status_detail}); it has no file to download`);
    if (b.status !== BackupStatus.finished) throw notFound('backup', b.id);
    const urls = svc.backups.downloadUrls(b, svc.clock.now());
    return {
      data: {
        ...presentBackup(b),
        BackupDownloadUrl: urls.public,
        BackupIntranetDownloadUrl: urls.intranet,
        DownloadUrlExpireTime: apiTime(urls.expiresAt),
      },
    };
});
