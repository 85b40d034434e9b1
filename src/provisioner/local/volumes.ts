/**
 * Per-node data volumes (docs/storage.md). A node's datadir and binlogs live in `<node>/disk/`.
 * Where the host allows loop mounts, `<node>/disk` is a sparse XFS image (`<node>/disk.img`)
 * mounted there: a hard size limit that grows online (truncate, `losetup -c`, `xfs_growfs`).
 * Elsewhere `<node>/disk` is a plain folder and the disk guard watches its size instead.
 *
 * The loop device uses direct I/O on its image (bench/RESULTS.md "Data volume overhead").
 * ensure() is gather → planVolume() (pure) → act, and idempotent: after a crash at any point
 * the next call finishes the job. XFS, not ext4: growing ext4 online needs CAP_SYS_RESOURCE,
 * which containers often drop; xfs_growfs needs only CAP_SYS_ADMIN, which mounting needs anyway.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findBinary } from './mariadb-binaries.js';
import { runTool } from './proc.js';


export type VolumeMode = 'loop-xfs' | 'watch';
/** mkfs.xfs refuses filesystems below 300 MB. */
export const XFS_MIN_BYTES = 300 * 1024 * 1024;

/** What is there now for one node. */
export interface VolumeObservation {
  /** Size of `<node>/disk.img`, undefined when there is none. */
  imageBytes?: number;
  /** The loop device mounted at `<node>/disk`, when mounted. */
  device?: string;
  /** Size of that loop device (it lags behind the image until `losetup -c`). */
  deviceBytes?: number;
  /** Size of the mounted XFS data section (it lags behind the device until `xfs_growfs`). */
  fsBytes?: number;
  /** The mounted loop device reads and writes its image with direct I/O (no second page cache). */
  directIo?: boolean;
  /** `<node>/disk` is a folder that holds files while nothing is mounted there (a watched node). */
  plainDirInUse: boolean;
}

export type VolumeStep = 'create-image' | 'grow-image' | 'mount' | 'direct-io' | 'refresh-device' | 'grow-fs';

/**
 * Pure: the steps that give a node a mounted volume of `wantBytes` (never smaller than it is:
 * images only grow), or none when the node is watched. `mode` is what the host supports; a node
 * that already has a plain folder in use stays watched (mounting there would hide its data).
 */
export function planVolume(o: VolumeObservation, wantBytes: number, mode: VolumeMode): { kind: VolumeMode; steps: VolumeStep[] } {
  if (o.imageBytes === undefined && o.device === undefined) {
    if (mode === 'watch' || o.plainDirInUse) return { kind: 'watch', steps: [] };
    return { kind: 'loop-xfs', steps: ['create-image', 'mount', 'direct-io'] };
  }
  const steps: VolumeStep[] = [];
  const image = o.imageBytes ?? 0;
  const grow = image < wantBytes;
  if (grow) steps.push('grow-image');
  if (o.device === undefined) {
    steps.push('mount', 'direct-io');
    // A fresh mount sees the whole image, but the filesystem still has its old size.
    steps.push('grow-fs');
    return { kind: 'loop-xfs', steps };
  }
  if (o.directIo === false) steps.push('direct-io');
  if (grow || (o.deviceBytes ?? 0) < image) steps.push('refresh-device');
  if (grow || (o.fsBytes ?? 0) < Math.max(image, o.deviceBytes ?? 0)) steps.push('grow-fs');
  return { kind: 'loop-xfs', steps };
}

/** Pure: `<mount point> → <source>` from /proc/self/mountinfo text (octal escapes decoded). */
export function parseMountInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left[4] && right[1]) out.set(unescape(left[4]), unescape(right[1]));
  }
  return out;
}

/** Pure: bytes of the data section from `xfs_info` output (`data = bsize=4096 blocks=102400, ...`). */
export function parseXfsDataBytes(xfsInfo: string): number | undefined {
  const m = /^data\s*=\s*bsize=(\d+)\s+blocks=(\d+)/m.exec(xfsInfo);
  return m ? Number(m[1]) * Number(m[2]) : undefined;
}


function hasBinary(name: string): boolean {
  try {
    findBinary(name, '');
    return true;
  } catch {
    return false;
  }
}

export class LoopVolumes {
  /** What the host supports: loop-mounted XFS needs root, /dev/loop-control and xfsprogs. */
  readonly mode: VolumeMode;
  readonly reason: string;

  constructor(setting: 'auto' | 'loop' | 'watch') {
    const missing = [
      process.getuid?.() === 0 ? '' : 'root',
      existsSync('/dev/loop-control') ? '' : '/dev/loop-control',
      ...['mkfs.xfs', 'xfs_growfs', 'xfs_info', 'losetup', 'mount', 'umount'].map((b) => (hasBinary(b) ? '' : b)),
    ].filter(Boolean);
    if (setting === 'watch') {
      this.mode = 'watch';
      this.reason = 'storage.volumes is "watch"';
    } else if (missing.length) {
      if (setting === 'loop') throw new Error(`storage.volumes is "loop" but this host lacks: ${missing.join(', ')} (apt-get install xfsprogs; run as root)`);
      this.mode = 'watch';
      this.reason = `no loop-mounted volumes here (missing: ${missing.join(', ')}); disk usage is watched instead`;
    } else {
      this.mode = 'loop-xfs';
      this.reason = 'sparse XFS image per node, loop-mounted';
    }
  }

  static mountPoint(nodeDir: string): string {
    return join(nodeDir, 'disk');
  }
  static image(nodeDir: string): string {
    return join(nodeDir, 'disk.img');
  }

  /** The last mountinfo text read and its parse: the same text is not parsed again. */
  private parsed?: { text: string; mounts: ReadonlyMap<string, string> };

  /**
   * Mount point → source of every mount now. Read afresh on every call; parsed only when the text
   * changed (the collector asks once per node: parsing 150 mounts 150 times was O(nodes²)).
   * Callers must not change the map.
   */
  mounts(): ReadonlyMap<string, string> {
    try {
      const text = readFileSync('/proc/self/mountinfo', 'utf8');
      if (this.parsed?.text !== text) this.parsed = { text, mounts: parseMountInfo(text) };
      return this.parsed.mounts;
    } catch {
      return new Map();
    }
  }

  /** The loop device mounted at `mountPoint`, if any. */
  mountedDevice(mountPoint: string, mounts = this.mounts()): string | undefined {
    return mounts.get(mountPoint);
  }

  async observe(nodeDir: string): Promise<VolumeObservation> {
    const mp = LoopVolumes.mountPoint(nodeDir);
    const img = LoopVolumes.image(nodeDir);
    const imageBytes = existsSync(img) ? statSync(img).size : undefined;
    const device = this.mountedDevice(mp);
    let deviceBytes: number | undefined;
    let fsBytes: number | undefined;
    let directIo: boolean | undefined;
    if (device) {
      deviceBytes = Number(readFileSync(`/sys/block/${basename(device)}/size`, 'utf8').trim()) * 512;
      try {
        directIo = readFileSync(`/sys/block/${basename(device)}/loop/dio`, 'utf8').trim() === '1';
      } catch {
        /* older kernels do not say */
      }
      fsBytes = parseXfsDataBytes(await runTool('xfs_info', [mp]));
    }
    let plainDirInUse = false;
    if (!device) {
      try {
        plainDirInUse = readdirSync(mp).length > 0;
      } catch {
        /* missing */
      }
    }
    return { imageBytes, device, deviceBytes, fsBytes, directIo, plainDirInUse };
  }

  /**
   * Makes `<nodeDir>/disk` a volume of at least `wantBytes` (mounted image), or a plain folder
   * when the node is watched. Safe to call on a running node: growth is online.
   */
  async ensure(nodeDir: string, wantBytes: number): Promise<VolumeMode> {
    const want = Math.max(XFS_MIN_BYTES, wantBytes);
    const mp = LoopVolumes.mountPoint(nodeDir);
    const img = LoopVolumes.image(nodeDir);
    const plan = planVolume(await this.observe(nodeDir), want, this.mode);
    mkdirSync(mp, { recursive: true });
    for (const step of plan.steps) {
      switch (step) {
        case 'create-image': {
          // Made under a temporary name: a crash leaves no half-formatted image behind.
          const tmp = `${img}.tmp`;
          rmSync(tmp, { force: true });
          await runTool('truncate', ['-s', String(want), tmp]);
          await runTool('mkfs.xfs', ['-q', '-f', tmp]);
          renameSync(tmp, img);
          break;
        }
        case 'grow-image':
          await runTool('truncate', ['-s', String(want), img]);
          break;
        case 'mount':
          await runTool('mount', ['-o', 'loop,noatime', img, mp]);
          break;
        case 'direct-io': {
          // Direct I/O from the loop device to its image: one page cache (the XFS one), not two,
          // and an fsync inside the volume does not flush a second cache. Best effort: a backing
          // filesystem without O_DIRECT (tmpfs) keeps buffered I/O, which is correct, only slower.
          const dev = this.mountedDevice(mp);
          if (dev) await runTool('losetup', ['--direct-io=on', dev]).catch(() => {});
          break;
        }
        case 'refresh-device': {
          const dev = this.mountedDevice(mp);
          if (dev) await runTool('losetup', ['-c', dev]);
          break;
        }
        case 'grow-fs':
          await runTool('xfs_growfs', [mp]);
          break;
      }
    }
    return plan.kind;
  }

  /** Unmounts the node's volume (the loop device goes with it). Idempotent; retries while busy. */
  async release(nodeDir: string): Promise<void> {
    const mp = LoopVolumes.mountPoint(nodeDir);
    for (let i = 0; this.mountedDevice(mp); i++) {
      try {
        await runTool('umount', [mp]);
      } catch {
        if (i >= 20) {
          await runTool('umount', ['-l', mp]); // a process of the node is still exiting: detach lazily
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * Size and use of a mounted volume (statfs), or undefined when nothing is mounted. Whether
   * something is mounted is told by the mount point's device differing from its folder's: two
   * stats, where reading mountinfo with 150 mounts costs ~0.7 ms (for one node).
   */
  mountedUsage(nodeDir: string): { totalBytes: number; usedBytes: number } | undefined {
    const mp = LoopVolumes.mountPoint(nodeDir);
    if (!isMountPoint(mp, nodeDir)) return undefined;
    const s = statfsSync(mp);
    return { totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
  }
}

/** Whether `dir` (inside `parent`) is a mount point: its device is not its parent's. */
function isMountPoint(dir: string, parent: string): boolean {
  try {
    return statSync(dir).dev !== statSync(parent).dev;
  } catch {
    return false;
  }
}
