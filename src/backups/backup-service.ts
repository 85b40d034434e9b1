/**
 * The backups part of the services (svc.backups): the storage port, the config, the signed
 * download URLs, and the backup jobs this process runs (ended when `serve` stops, so none is
 * left behind; the next `serve` resumes their tasks and takes the backups again).
 */
import type { BackupJob, BackupJobResult, Provisioner } from '../provisioner/provisioner.js';
import type { Backup } from '../store/backups-repo.js';
import type { BackupConfig } from './backup-config.js';
import { keyName, type BackupStorage, type PublishedArtifact } from './backup-storage.js';
import { deriveUrlKey, signedUrl, verifySignedUrl, type VerifyResult } from './signed-url.js';

export interface DownloadUrls {
  public: string;
  intranet: string;
  /** Epoch ms after which both are refused. */
  expiresAt: number;
}

export class BackupService {
  private readonly urlKey: Buffer;
  private listenUrl = 'http://127.0.0.1:8080';
  private readonly jobs = new Set<string>();
  private closing = false;

  constructor(readonly storage: BackupStorage, readonly config: BackupConfig, masterKey: Buffer) {
    this.urlKey = deriveUrlKey(masterKey);
  }

  /** `serve` is stopping: backup tasks park instead of starting or failing (their next run is in the next serve). */
  get isClosing(): boolean {
    return this.closing;
  }

  /** The address `serve` listens on: the default base of download URLs. */
  setListenUrl(url: string): void {
    this.listenUrl = url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:');
  }

  baseUrls(): { public: string; intranet: string } {
    const pub = this.config.publicBaseUrl || this.listenUrl;
    return { public: pub, intranet: this.config.intranetBaseUrl || pub };
  }

  /** Signed URLs of a finished backup, valid for `backups.urlTtlSeconds` from `nowMs`. */
  downloadUrls(b: Pick<Backup, 'id' | 'tenant_id' | 'file'>, nowMs: number): DownloadUrls {
    const expires = Math.floor(nowMs / 1000) + this.config.urlTtlSeconds;
    const grant = { tenantId: b.tenant_id, backupId: b.id, file: keyName(b.file), expires };
    const bases = this.baseUrls();
    return { public: signedUrl(bases.public, this.urlKey, grant), intranet: signedUrl(bases.intranet, this.urlKey, grant), expiresAt: expires * 1000 };
  }

  verifyUrl(url: string, nowMs: number): VerifyResult {
    return verifySignedUrl(this.urlKey, url, nowMs);
  }

  /**
   * Runs a backup job through the provisioner into a new upload of `key` and commits it: the
   * artifact is published (atomically) only when the job succeeded; otherwise the upload is
   * aborted and nothing is published. Remembers the job until it ends. When `serve` is stopping
   * (close()), a job ended by the shutdown never settles: its task step neither succeeds nor
   * fails here, and the next `serve` resumes it.
   */
  async runJob(provisioner: Provisioner, job: BackupJob, key: string): Promise<BackupJobResult & { artifact: PublishedArtifact }> {
    if (this.closing) return new Promise<never>(() => {});
    this.jobs.add(job.id);
    const upload = await this.storage.openUpload(key);
    try {
      const result = await provisioner.runBackup(job, upload.writable);
      return { ...result, artifact: await upload.commit() };
    } catch (e) {
      await upload.abort().catch(() => {});
      if (this.closing) return new Promise<never>(() => {});
      throw e;
    } finally {
      this.jobs.delete(job.id);
    }
  }

  /** Ends the backup jobs of this process (shutdown). */
  async close(provisioner: Provisioner): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.jobs].map((id) => provisioner.abortBackup(id)));
  }
}
