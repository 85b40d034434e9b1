/**
 * The provisioner contract (test/contract/provisioner-contract.ts) against the local provisioner:
 * real mariadbd processes in a scratch home, with loop volumes and cgroups where this host allows
 * them, and a LocalBackupStorage for the backup round trip.
 */
import { randomInt } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { provisionerContract } from '../contract/provisioner-contract.js';
import { MariaDbEngine } from '../../src/engine/mariadb/mariadb-engine.js';
import { MariaDbProfile } from '../../src/engine/mariadb/mariadb-profile.js';
import { LocalBackupStorage } from '../../src/backups/local/local-backup-storage.js';
import { LocalProvisioner } from '../../src/provisioner/local/local-provisioner.js';
import { CGROUP_ROOT, removeHomeGroups } from '../../src/provisioner/local/cgroups.js';

const GB_BYTES = 4 * 1024 * 1024; // DiskValue 100 → a 400 MiB volume (XFS needs ≥ 300 MiB)

/** The memory limit of the cgroup the server process is in (v2 memory.max, v1 memory.limit_in_bytes). */
function memoryLimitOf(pid: number): number | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':') as [string, string, string];
    if (!path.includes('/openrds/')) continue;
    const file = controllers === '' ? join(CGROUP_ROOT, path, 'memory.max') : controllers.split(',').includes('memory') ? join(CGROUP_ROOT, 'memory', path, 'memory.limit_in_bytes') : undefined;
    if (!file) continue;
    const v = readFileSync(file, 'utf8').trim();
    return v === 'max' ? undefined : Number(v);
  }
  return undefined;
}

provisionerContract('local', async () => {
  const home = join('/tmp', `openrds-test-${process.env.OPENRDS_TEST_RUN ?? 'x'}-${process.pid}-contract`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const profile = new MariaDbProfile();
  const storageCfg = { volumes: 'auto' as const, gbBytes: GB_BYTES };
  const make = () => new LocalProvisioner(home, profile, '', storageCfg);
  const provisioner = make();
  const engine = new MariaDbEngine();
  return {
    provisioner, reopen: make, engine, storage: new LocalBackupStorage(join(home, 'backups')),
    cidr: `127.${randomInt(20, 250)}.${randomInt(0, 256)}.0/24`, port: 3306, gbBytes: GB_BYTES,
    probe: {
      async memoryLimitBytes(nodeId: string) {
        return memoryLimitOf(Number(readFileSync(join(home, 'nodes', nodeId, 'node.pid'), 'utf8')));
      },
      async serverEnvironment(nodeId: string) {
        const pid = Number(readFileSync(join(home, 'nodes', nodeId, 'node.pid'), 'utf8'));
        return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      },
      binlog(nodeId: string, file: string) {
        return createReadStream(join(provisioner.paths(nodeId).datadir, file));
      },
    },
    async cleanup() {
      engine.closeMonitoring();
      for (const { nodeId } of await provisioner.listRunning()) await provisioner.destroy(nodeId);
      for (const id of ['ca', 'cr']) await provisioner.destroy(id).catch(() => {});
      await removeHomeGroups(provisioner.nodesDir);
      rmSync(home, { recursive: true, force: true });
    },
  };
});
