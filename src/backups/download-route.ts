/**
 * GET/HEAD of signed backup download URLs (signed-url.ts), on the API port. Range requests are
 * answered with 206 (one range; http-range.ts), so `curl -C -` and download managers resume.
 * Refusals use the API envelope: 403 InvalidSignedUrl for an expired, tampered or foreign URL,
 * 404 ResourceNotFound for a backup that is gone (deleted, or never finished).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../api/errors.js';
import type { Services } from '../services.js';
import { BackupStatus } from './backup-status.js';
import { keyName } from './backup-storage.js';
import { decideRange } from './http-range.js';
import { DOWNLOAD_PATH_PREFIX } from './signed-url.js';

const WHY = {
  malformed: 'the download URL is incomplete or malformed; ask DownloadBackup for a new one',
  'bad-signature': 'the download URL signature does not match (the URL was changed); ask DownloadBackup for a new one',
  expired: 'the download URL has expired; ask DownloadBackup for a new one',
} as const;

export function downloadRoute(svc: Services) {
  return async (app: FastifyInstance) => {
    app.route({ method: ['GET', 'HEAD'], url: `${DOWNLOAD_PATH_PREFIX}:backupId/:file`, handler: (req, reply) => serve(svc, req, reply) });
  };
}

function refuse(reply: FastifyReply, code: ErrorCode, message: string) {
  return reply.code(ERROR_CODES[code].status).header('cache-control', 'no-store')
    .send({ Code: code, Message: message, Data: null, TaskId: '', RequestId: randomUUID() });
}

async function serve(svc: Services, req: FastifyRequest, reply: FastifyReply) {
  const v = svc.backups.verifyUrl(req.url, svc.clock.now());
  if (!v.ok) {
    svc.log.debug({ reason: v.reason, url: req.url.split('?')[0] }, 'backup download refused');
    return refuse(reply, 'InvalidSignedUrl', WHY[v.reason]);
  }
  const { grant } = v;
  const b = await svc.store.backups.get(grant.backupId);
  if (!b || b.status !== BackupStatus.finished) return refuse(reply, 'ResourceNotFound', `backup ${grant.backupId} does not exist or is not finished`);
  // A URL signed for another tenant's backup (or another file) is never valid here.
  if (b.tenant_id !== grant.tenantId || keyName(b.file) !== grant.file) {
    return refuse(reply, 'InvalidSignedUrl', 'the download URL is not valid for this backup');
  }
  const st = await svc.backups.storage.stat(b.file);
  if (!st) return refuse(reply, 'ResourceNotFound', `the file of backup ${b.id} is gone`);
  const size = st.sizeBytes;
  const etag = `"${b.sha256}"`;
  const ifRange = req.headers['if-range'];
  const range = decideRange(req.headers.range, size, typeof ifRange === 'string' ? ifRange : undefined, etag);
  reply.header('accept-ranges', 'bytes').header('etag', etag).header('cache-control', 'private, no-store')
    .header('last-modified', new Date(Number(b.finished_at ?? st.mtimeMs)).toUTCString())
    .header('content-type', 'application/octet-stream')
    .header('content-disposition', `attachment; filename="${grant.file}"`);
  if (range.kind === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  const part = range.kind === 'partial' ? range : { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : part.end - part.start + 1;
  reply.code(range.kind === 'partial' ? 206 : 200).header('content-length', String(length));
  if (range.kind === 'partial') reply.header('content-range', `bytes ${part.start}-${part.end}/${size}`);
  if (req.method === 'HEAD' || length === 0) return reply.send();
  svc.log.info({ backup: b.id, instance: b.instance_uuid, start: part.start, bytes: length }, 'backup download');
  return reply.send(svc.backups.storage.read(b.file, part));
}
