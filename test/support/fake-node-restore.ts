/** A hand-written NodeRestore for tests that drive the API in process: records what it was asked to do. */
import type { Readable } from 'node:stream';
import type { NodeRestore, ReplayRequest, RestoreDest } from '../../src/provisioner/node-restore.js';

export class FakeNodeRestore implements NodeRestore {
  readonly calls: string[] = [];
  /** The GTID restorePhysical reports (a real restore reads it from the backup). */
  gtid = '';

  async restorePhysical(dest: RestoreDest, _artifact: () => Readable): Promise<{ gtid: string }> {
    this.calls.push(`restorePhysical ${dest.nodeId}`);
    return { gtid: this.gtid };
  }

  async replay(req: ReplayRequest): Promise<{ bytes: number }> {
    this.calls.push(`replay ${req.target.host}:${req.target.port} ${req.startGtid}..${req.stopGtid}`);
    return { bytes: 0 };
  }
}
