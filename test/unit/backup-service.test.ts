/**
 * BackupService.runJob ties the Provisioner's backup stream to a BackupStorage upload: the
 * artifact is committed only when the job succeeded and its stream finished; otherwise nothing is
 * published. A hand-written provisioner fake writes (or fails) into the sink; the storage is the
 * real local adapter in a scratch folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { BackupService } from '../../src/backups/backup-service.js';
import { DEFAULT_BACKUP_CONFIG } from '../../src/backups/backup-config.js';
import { LocalBackupStorage } from '../../src/backups/local/local-backup-storage.js';
import { BackupJobError, type BackupJob, type Provisioner } from '../../src/provisioner/provisioner.js';

const JOB: BackupJob = { id: 'bk-1', nodeId: 'n1', kind: 'physical', target: { host: '127.0.0.1', port: 3306, user: 'u', password: 'p' }, replica: false, timeoutMs: 1000 };
const POS = { gtid: '0-1-5', binlogFile: 'mysql-bin.000001', binlogPos: 42 };

type Behaviour = (sink: Writable) => Promise<void>;
const write = (sink: Writable, data: string, end: boolean) => new Promise<void>((resolve, reject) => {
  sink.write(Buffer.from(data), (e) => (e ? reject(e) : end ? sink.end(() => resolve()) : resolve()));
});

function provisioner(behaviour: Behaviour, aborted: string[]): Provisioner {
  return {
    async runBackup(_job: BackupJob, sink: Writable) {
      await behaviour(sink);
      return { position: POS };
    },
    async abortBackup(id: string) { aborted.push(id); },
  } as unknown as Provisioner;
}

const CASES: Array<{ name: string; behaviour: Behaviour; published: string | undefined; error?: RegExp }> = [
  { name: 'a job that wrote and ended its stream: committed', behaviour: (s) => write(s, 'backup-bytes', true), published: 'backup-bytes' },
  { name: 'a job that failed after writing part: nothing published', behaviour: async (s) => { await write(s, 'half', false); throw new BackupJobError('tool failed'); }, published: undefined, error: /tool failed/ },
  { name: 'a job that failed before writing: nothing published', behaviour: async () => { throw new BackupJobError('could not start'); }, published: undefined, error: /could not start/ },
  { name: 'a job that resolved without ending its stream: commit refused, nothing published', behaviour: (s) => write(s, 'unended', false), published: undefined, error: /has not finished/ },
  { name: 'a job whose stream was destroyed: nothing published', behaviour: async (s) => { s.destroy(new Error('storage gone')); }, published: undefined, error: /has not finished/ },
];

for (const c of CASES) {
  test(`runJob: ${c.name}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'openrds-bksvc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const storage = new LocalBackupStorage(dir);
    const svc = new BackupService(storage, DEFAULT_BACKUP_CONFIG, Buffer.alloc(32, 1));
    const aborted: string[] = [];
    const run = svc.runJob(provisioner(c.behaviour, aborted), JOB, 'inst/bk-1.xb.zst');
    if (c.error) await assert.rejects(run, c.error);
    else {
      const r = await run;
      assert.deepEqual(r.position, POS);
      assert.equal(r.artifact.sizeBytes, Buffer.byteLength(c.published!));
    }
    const st = await storage.stat('inst/bk-1.xb.zst');
    assert.equal(st?.sizeBytes, c.published === undefined ? undefined : Buffer.byteLength(c.published));
    assert.deepEqual(await storage.listStaged(), [], 'no unfinished upload is left');
  });
}

test('close() ends the running jobs through the provisioner, and a job ended so never settles', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'openrds-bksvc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const svc = new BackupService(new LocalBackupStorage(dir), DEFAULT_BACKUP_CONFIG, Buffer.alloc(32, 1));
  const aborted: string[] = [];
  let fail: ((e: Error) => void) | undefined;
  const prov = provisioner(() => new Promise<void>((_, reject) => { fail = reject; }), aborted);
  let settled = false;
  void svc.runJob(prov, JOB, 'inst/bk-1.xb.zst').finally(() => { settled = true; });
  for (let i = 0; !fail; i++) {
    assert.ok(i < 1000, 'the job started');
    await new Promise((r) => setTimeout(r, 10));
  }
  await svc.close(prov);
  assert.deepEqual(aborted, ['bk-1']);
  fail!(new BackupJobError('killed by the shutdown'));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, 'the task step is left for the next serve');
});
