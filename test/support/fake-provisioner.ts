/**
 * A hand-written Provisioner for tests that drive the API in process (app.inject): nodes "run"
 * in a map, nothing is started. It counts every call, so a test can assert that a refused
 * request provisioned nothing.
 */
import type { NodeSpec, Target } from '../../src/engine/engine.js';
import type {
  BackupJob, BackupJobResult, CloneDest, DiskStatus, InternalCredentials, Listener, NodeRuntime, NodeUsage, Provisioner,
} from '../../src/provisioner/provisioner.js';

export class FakeProvisioner implements Provisioner {
  readonly kind = 'fake';
  readonly volumes = 'watch' as const;
  readonly volumesReason = 'fake provisioner: no volumes';
  readonly limitsEnforced = 'advisory' as const;
  /** Node id → pid of the nodes "running". */
  readonly running = new Map<string, number>();
  /** Every call, by method name. */
  readonly calls: string[] = [];
  private nextPid = 1000;

  async ensureRunning(spec: NodeSpec, _creds: InternalCredentials): Promise<NodeRuntime> {
    this.calls.push('ensureRunning');
    if (!this.running.has(spec.nodeId)) this.running.set(spec.nodeId, this.nextPid++);
    return { alive: true, pid: this.running.get(spec.nodeId) };
  }
  /** What the fake host listens on; none unless a test sets some. */
  hostListeners: Listener[] = [];
  /** A read (not counted in `calls`). */
  async listeners(owners = false): Promise<Listener[]> { return this.hostListeners.map((l) => (owners ? { ...l } : { ip: l.ip, port: l.port })); }
  async cloneFrom(_sourceNodeId: string, _source: Target, dest: CloneDest): Promise<{ gtid: string }> {
    this.calls.push('cloneFrom');
    this.running.delete(dest.nodeId);
    return { gtid: '0-1-1' };
  }
  async diskStatus(nodes: ReadonlyArray<{ nodeId: string; limitBytes: number }>): Promise<Map<string, DiskStatus>> {
    this.calls.push('diskStatus');
    return new Map(nodes.map((n) => [n.nodeId, { totalBytes: n.limitBytes, usedBytes: 0, enforced: 'watch' as const }]));
  }
  async inspect(nodeId: string): Promise<NodeRuntime> {
    this.calls.push('inspect');
    const pid = this.running.get(nodeId);
    return pid === undefined ? { alive: false } : { alive: true, pid };
  }
  async stop(nodeId: string, _timeoutMs: number): Promise<void> {
    this.calls.push('stop');
    this.running.delete(nodeId);
  }
  async destroy(nodeId: string): Promise<void> {
    this.calls.push('destroy');
    this.running.delete(nodeId);
  }
  async logTail(_nodeId: string, _lines?: number): Promise<string> {
    this.calls.push('logTail');
    return '';
  }
  async listRunning(): Promise<Array<{ nodeId: string; pid: number }>> {
    this.calls.push('listRunning');
    return [...this.running].map(([nodeId, pid]) => ({ nodeId, pid }));
  }
  async usage(nodeId: string, _opts?: { diskMaxAgeMs?: number }): Promise<NodeUsage | undefined> {
    this.calls.push('usage');
    const pid = this.running.get(nodeId);
    return pid === undefined ? undefined : { pid, cpuSeconds: 0, rssBytes: 0, diskBytes: 0 };
  }
  async runBackup(_job: BackupJob): Promise<BackupJobResult> {
    this.calls.push('runBackup');
    return { log: '', head: '' };
  }
  async abortBackup(_job: Pick<BackupJob, 'id' | 'dest'>): Promise<void> {
    this.calls.push('abortBackup');
  }
}
