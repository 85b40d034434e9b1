/**
 * The backup scheduler on a real store of each backend (SQLite, PostgreSQL) with an injected clock (src/backups/scheduler.ts):
 * one backup per slot, never twice across restarts of serve (a new store handle and scheduler on
 * the same database) or with two schedulers, a catch-up after an outage, retention and repair.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { modifyDbBackupPolicy } from '../../src/actions/modify-db-backup-policy.js';
import { ParamReader } from '../../src/api/validate.js';
import { DEFAULT_BACKUP_CONFIG } from '../../src/backups/backup-config.js';
import { DEFAULT_ARCHIVE_CONFIG } from '../../src/archive/archive-config.js';
import { BackupScheduler } from '../../src/backups/scheduler.js';
import { newBackup } from '../../src/backups/submit.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { STORE_BACKENDS, type FreshStore } from '../support/stores.js';

const log = pino({ level: 'silent' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Local +08:00 wall time → epoch ms. 2024-05-01 was a Wednesday. */
const local = (s: string) => Date.parse(`${s}+08:00`);

let fresh: FreshStore;
let store: Store;
let now = 0;
let kicks = 0;
const discarded: string[] = [];
const staged: string[] = [];
const clock = { now: () => now };

function services(st: Store): Services {
  return {
    config: { backups: { ...DEFAULT_BACKUP_CONFIG }, archive: { ...DEFAULT_ARCHIVE_CONFIG } },
    store: st, clock, log, kickTasks: () => { kicks++; },
    backups: {
      storage: {
        kind: 'fake',
        listStaged: async () => [...staged],
        discardStaged: async (k: string) => { discarded.push(k); },
        remove: async () => {},
      },
    },
  } as unknown as Services;
}

/** A "restart of serve": the store is closed and opened again, with a new scheduler. */
async function restart(): Promise<BackupScheduler> {
  await store.close();
  store = await fresh.another();
  return new BackupScheduler(services(store), log);
}

async function addInstance(uuid: string, over: Record<string, unknown> = {}): Promise<void> {
  await store.db.insertInto('instances').values({
    uuid, tenant_id: 't1', name: uuid, region_id: 'CN_Beijing_A', vdc_id: 'v', pipe_id: 'p', paas_goods_id: 27060, architecture: 0,
    cpu: 1, ram_gb: 2, disk_type: 'ssd_disk', disk_gb: 100, ip: `ip-${uuid}`, port: 3306, time_zone: '+08:00', status: 'RUNNING',
    status_detail: '', version: '10.11.0', parent_uuid: null, created_at: 0, updated_at: 0, deleted_at: null, ...over,
  }).execute();
}

async function setPolicy(uuid: string, dataBackups: Record<string, unknown>): Promise<void> {
  await modifyDbBackupPolicy.handler({ svc: services(store), tenantId: 't1', requestId: 'r', log }, new ParamReader({ InstanceUuid: uuid, DataBackups: dataBackups as any }));
}

const autoBackups = (uuid: string) => store.db.selectFrom('backups').selectAll().where('instance_uuid', '=', uuid).where('mode', '=', 'auto').orderBy('slot_at').execute();

// One suite per backend, one after the other, each on its own database.
for (const backend of STORE_BACKENDS) describe(`backup scheduler on ${backend.name}`, () => {
  before(async () => {
    fresh = await backend.fresh();
    store = fresh.store;
  });
  after(async () => {
    await store?.close();
  });
  beforeEach(async () => {
    kicks = 0;
    discarded.length = 0;
    staged.length = 0;
    await store.db.deleteFrom('backup_policies').execute(); // each test looks at its own policy only
  });

  test('one backup per slot, on time, never twice across a restart of serve', async () => {
    await addInstance('i1');
    now = local('2024-04-30T10:00:00'); // Tuesday
    await setPolicy('i1', { TimeSlot: '02:00-03:00', DateList: ['3', '5'], Sign: 1 });
    let sched = new BackupScheduler(services(store), log);

    for (const t of ['2024-04-30T23:00:00', '2024-05-01T01:59:59']) {
      now = local(t);
      assert.equal(await sched.schedule(), 0, t);
    }
    now = local('2024-05-01T02:00:20');
    assert.equal(await sched.schedule(), 1);
    assert.equal(kicks, 1);
    now = local('2024-05-01T02:00:50');
    assert.equal(await sched.schedule(), 0, 'same slot, same process');
    sched = await restart();
    now = local('2024-05-01T02:30:00');
    assert.equal(await sched.schedule(), 0, 'same slot after a restart');
    now = local('2024-05-02T02:30:00'); // Thursday: not in DateList
    assert.equal(await sched.schedule(), 0);
    now = local('2024-05-03T02:05:00'); // Friday
    assert.equal(await sched.schedule(), 1);

    const rows = await autoBackups('i1');
    assert.deepEqual(rows.map((r) => r.slot_at), [local('2024-05-01T02:00:00'), local('2024-05-03T02:00:00')]);
    for (const r of rows) {
      assert.equal(r.type, 'physical-backup');
      assert.equal(r.strategy, 'instance');
      assert.equal(r.description, '');
      assert.equal(r.status, 'running');
      assert.equal(r.status_detail, '', 'an on-time backup has no detail');
      const task = await store.getTask(r.task_id);
      assert.equal(task?.type, 'CreateBackup');
      assert.equal(task?.instance_uuid, r.id, 'the task locks the backup, not the instance');
      assert.equal(task?.status, 'NEW');
    }
    assert.equal(await store.activeTask('i1'), undefined, 'the instance has no task: it stays idle');
  });

  test('serve down for a whole slot: one catch-up backup at start-up, naming the missed slots; nothing twice after', async () => {
    await addInstance('i2');
    now = local('2024-04-30T10:00:00');
    await setPolicy('i2', { TimeSlot: '03:00-04:00', DateList: ['0', '1', '2', '3', '4', '5', '6'], Sign: 1 });
    let sched = new BackupScheduler(services(store), log);
    now = local('2024-05-01T03:10:00');
    assert.equal(await sched.schedule(), 1);
    // serve stops here and comes back on Saturday afternoon: Thu, Fri and Sat slots were missed.
    sched = await restart();
    now = local('2024-05-04T15:00:00');
    assert.equal(await sched.schedule(), 1);
    const rows = await autoBackups('i2');
    assert.equal(rows.length, 2);
    const catchUp = rows[1]!;
    assert.equal(catchUp.slot_at, local('2024-05-04T03:00:00'));
    assert.match(catchUp.status_detail, /^catch-up backup: slot 2024-05-04 03:00-04:00 \+08:00 passed while openrds was not running; slots missed while openrds was not running: 2024-05-02 03:00-04:00 \+08:00, 2024-05-03 03:00-04:00 \+08:00$/);
    sched = await restart();
    now = local('2024-05-04T15:01:00');
    assert.equal(await sched.schedule(), 0, 'the catch-up is not repeated');
    now = local('2024-05-05T03:00:00');
    assert.equal(await sched.schedule(), 1, 'the next slot is on time again');
  });

  test('two schedulers on one store (or two rounds racing) record a slot once', async () => {
    await addInstance('i3');
    now = local('2024-04-30T10:00:00');
    await setPolicy('i3', { TimeSlot: '05:00-06:00', DateList: ['3'], Sign: 1 });
    const a = new BackupScheduler(services(store), log);
    const b = new BackupScheduler(services(store), log);
    now = local('2024-05-01T05:00:01');
    const made = await Promise.all([a.schedule(), b.schedule(), a.schedule()]);
    assert.equal(made.reduce((x, y) => x + y, 0), 1);
    assert.equal((await autoBackups('i3')).length, 1);
  });

  test('the policy counts from when it is set; the same schedule sent again keeps a missed slot; a new one starts over', async () => {
    await addInstance('i4');
    const sched = new BackupScheduler(services(store), log);
    now = local('2024-05-01T06:30:00'); // inside Wednesday's slot
    await setPolicy('i4', { TimeSlot: '06:00-07:00', DateList: ['3', '4'], Sign: 1 });
    assert.equal(await sched.schedule(), 0, 'a slot already begun is not run');
    // Thursday's slot is missed (serve down); Terraform re-applies the same policy before the round.
    now = local('2024-05-02T08:00:00');
    await setPolicy('i4', { TimeSlot: '06:00-07:00', DateList: ['4', '3'], Sign: 1 });
    assert.equal(await sched.schedule(), 1, 'the missed slot is still caught up');
    // A different slot starts over: nothing for slots before the change.
    now = local('2024-05-08T09:00:00'); // Wednesday after 08:00-09:00 passed
    await setPolicy('i4', { TimeSlot: '08:00-09:00', DateList: ['3'], Sign: 1 });
    assert.equal(await sched.schedule(), 0);
    // Turned off: nothing; turned on again: counts from then.
    await setPolicy('i4', { TimeSlot: '08:00-09:00', DateList: ['3'], Sign: 0 });
    now = local('2024-05-15T08:30:00');
    assert.equal(await sched.schedule(), 0, 'Sign 0');
    await setPolicy('i4', { TimeSlot: '08:00-09:00', DateList: ['3'], Sign: 1 });
    assert.equal(await sched.schedule(), 0, 'slot began before it was turned on');
    now = local('2024-05-22T08:00:00');
    assert.equal(await sched.schedule(), 1);
  });

  test('a deleted instance gets no automatic backup and its policy is forgotten', async () => {
    await addInstance('i5');
    now = local('2024-04-30T10:00:00');
    await setPolicy('i5', { TimeSlot: '02:00-03:00', DateList: ['3'], Sign: 1 });
    await store.updateInstance('i5', { status: 'DELETED', deleted_at: now + 1 });
    const sched = new BackupScheduler(services(store), log);
    now = local('2024-05-01T02:10:00');
    assert.equal(await sched.schedule(), 0);
    await sched.housekeep();
    assert.equal(await store.backups.getPolicy('i5'), undefined);
  });

  test('retention: old automatic backups and backups of long-deleted instances are deleted through DeleteBackup tasks; stale running ones fail', async () => {
    await addInstance('i6');
    await addInstance('i7', { status: 'DELETED', deleted_at: local('2024-05-01T00:00:00') });
    const mk = async (uuid: string, mode: 'auto' | 'manual', createdAt: number, status: string, taskStatus = 'FINISH') => {
      const { backup, task } = newBackup({ tenantId: 't1', instanceUuid: uuid, type: 'physical-backup', mode, strategy: 'instance', databases: [], description: '', now: createdAt });
      await store.backups.create({ ...backup, status }, { ...task, status: taskStatus });
      return backup.id!;
    };
    const oldAuto = await mk('i6', 'auto', local('2024-05-01T02:00:00'), 'finished');
    const newAuto = await mk('i6', 'auto', local('2024-05-07T02:00:00'), 'finished');
    const oldManual = await mk('i6', 'manual', local('2024-04-01T02:00:00'), 'finished');
    const stale = await mk('i6', 'manual', local('2024-05-09T02:00:00'), 'running', 'ERROR');
    const waiting = await mk('i6', 'manual', local('2024-05-09T02:00:00'), 'running', 'DOING');
    const ofDeleted = await mk('i7', 'manual', local('2024-04-30T00:00:00'), 'finished');
    const sched = new BackupScheduler(services(store), log);
    now = local('2024-05-09T12:00:00');
    await sched.housekeep();
    const status = async (id: string) => (await store.backups.get(id))?.status;
    assert.equal(await status(oldAuto), 'deleting');
    assert.equal(await status(newAuto), 'finished');
    assert.equal(await status(oldManual), 'finished', 'manual backups of a live instance never expire');
    assert.equal(await status(stale), 'failed');
    assert.equal(await status(waiting), 'running');
    assert.equal(await status(ofDeleted), 'deleting', 'instance deleted more than 7 days ago');
    const task = await store.getTask((await store.backups.get(oldAuto))!.task_id);
    assert.equal(task?.type, 'DeleteBackup');
    assert.equal(task?.instance_uuid, oldAuto);
    await sched.housekeep();
    assert.equal((await store.db.selectFrom('tasks').select('id').where('instance_uuid', '=', oldAuto).where('type', '=', 'DeleteBackup').execute()).length, 1, 'not submitted twice');
  });

  test('staged files of backups that are not running are discarded; a running one is kept', async () => {
    await addInstance('i8');
    const { backup, task } = newBackup({ tenantId: 't1', instanceUuid: 'i8', type: 'physical-backup', mode: 'manual', strategy: 'instance', databases: [], description: '', now });
    await store.backups.create(backup, task);
    staged.push(`i8/${backup.id}.xb.zst`, 'i8/bk-00000000000000000000.xb.zst');
    await new BackupScheduler(services(store), log).sweepStaged();
    assert.deepEqual(discarded, ['i8/bk-00000000000000000000.xb.zst']);
  });
});
