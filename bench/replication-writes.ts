/**
 * Store writes caused by an idle HA instance with one read-only instance (issue 11, defect 10):
 * every write empties the instance-row cache of DescribeDBInstances (src/store/store.ts), so the
 * replication record must not be written every 250 ms HA round.
 *
 * Counts, over --seconds (default 120) of an idle pair, with serve's default loop intervals:
 * - commits to the store by serve: PRAGMA data_version read every 2 ms from a separate connection
 *   (it changes when another connection commits; commits less than 2 ms apart count once);
 * - writes of the replication record: changes of `instances.replication` (absent before migration 008).
 * Run it on a tree without the replication record for the baseline.
 *
 *   node --import tsx bench/replication-writes.ts [--seconds 120]
 */
import BetterSqlite3 from 'better-sqlite3';
import { HA_1C2G, createRunning, startServer } from '../test/support/harness.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 120);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const s = await startServer({ config: { reconciler: { intervalMs: 1000 }, ha: { readOnlyMinCreatingMs: 0 } } });
try {
  const primary = await createRunning(s.client, { InstanceName: 'bench-ha', PaasGoodsId: HA_1C2G, DiskValue: 200, Password: 'Bench-Pass-1' });
  const r = await s.client.ok('CreateReadOnlyDBInstance', {
    InstanceUuid: primary.InstanceUuid, InstanceName: 'bench-ro', PaasGoodsId: 15686, DiskType: 'ssd_disk', DiskValue: 200,
  });
  const ro = await s.client.waitStatus(r.data.InstancesUuid[0], 'RUNNING', 180_000);
  await sleep(10_000); // settle: semi-sync ON, first records written
  const db = new BetterSqlite3(`${s.home}/openrds.db`, { readonly: true });
  const hasColumn = (db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('instances') WHERE name = 'replication'").get() as { n: number }).n > 0;
  const version = db.prepare('PRAGMA data_version').pluck();
  const recs = hasColumn ? db.prepare('SELECT uuid, replication FROM instances WHERE uuid IN (?, ?)') : undefined;
  let commits = 0;
  let recordWrites = 0;
  let last = version.get();
  const lastRec = new Map<string, string>();
  const t0 = Date.now();
  let lastRecRead = 0;
  while (Date.now() - t0 < SECONDS * 1000) {
    const v = version.get();
    if (v !== last) {
      commits++;
      last = v;
    }
    if (recs && Date.now() - lastRecRead >= 20) {
      lastRecRead = Date.now();
      for (const row of recs.all(primary.InstanceUuid, ro.InstanceUuid) as Array<{ uuid: string; replication: string | null }>) {
        if (lastRec.has(row.uuid) && lastRec.get(row.uuid) !== row.replication) recordWrites++;
        lastRec.set(row.uuid, row.replication ?? '');
      }
    }
    await sleep(2);
  }
  db.close();
  const perMin = (n: number) => Math.round((n * 600) / SECONDS) / 10;
  const out = {
    seconds: SECONDS, commits, commitsPerMinute: perMin(commits),
    replicationRecord: hasColumn ? { writes: recordWrites, perMinute: perMin(recordWrites) } : 'no replication column (baseline)',
    primary: (await s.client.ok('DescribeDBInstances', { InstanceUuid: primary.InstanceUuid }, { method: 'GET' })).data[0].ReplicationState ?? '-',
  };
  console.log(JSON.stringify(out));
} finally {
  await s.cleanup();
}
