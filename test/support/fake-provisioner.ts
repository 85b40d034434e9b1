/**
 * A hand-written Provisioner for tests that drive the API in process (app.inject): nodes "run"
 * in a map, nothing is started. It counts every call, so a test can assert that a refused
 * request provisioned nothing.
 */
import type { Readable, Writable } from 'node:stream';
import type { NodeSpec, Target } from '../../src/engine/engine.js';
import type {
  AddressPlan, BackupJob, BackupJobResult, CloneDest, DiskStatus, InternalCredentials, Listener, NodeRuntime, NodeUsage, Provisioner,
  ProvisionerCapabilities, ReplayRequest,
} from '../../src/provisioner/provisioner.js';
import { hostUse } from '../../src/network/host-addresses.js';
import { pickFreeIp } from '../../src/network/network.js';

export class FakeProvisioner implements Provisioner {
  readonly kind = 'fake';
  readonly capabilities: ProvisionerCapabilities = {
    disk: { limit: 'measured', growsOnline: true, mechanism: 'watch', detail: 'fake provisioner: no volumes' },
    compute: { limit: 'advisory', mechanism: 'advisory', detail: 'fake provisioner: no limits' },
  };
  /** Node id → incarnation number of the nodes "running". */
  readonly running = new Map<string, number>();
  /** Every call, by method name. */
  readonly calls: string[] = [];
  private nextPid = 1000;

  async ensureRunning(spec: NodeSpec, _creds: InternalCredentials): Promise<NodeRuntime> {
    this.calls.push('ensureRunning');
    if (!this.running.has(spec.nodeId)) this.running.set(spec.nodeId, this.nextPid++);
    return { alive: true, incarnation: `run-${this.running.get(spec.nodeId)}` };
  }
  async engineVersion(): Promise<string> { return '10.11.0'; }
  async planAddresses(req: { cidr: string; port: number; alsoTaken: ReadonlySet<string> }): Promise<AddressPlan> {
    const { used, wildcard } = hostUse({ listeners: this.hostListeners, foreign: [] }, req.port);
    if (wildcard) return { ok: false, blockedBy: wildcard };
    for (const ip of req.alsoTaken) used.add(ip);
    return { ok: true, pick: (u) => pickFreeIp(req.cidr, u, used) };
  }
  async fence(nodeId: string): Promise<void> {
    this.calls.push('fence');
    this.running.delete(nodeId);
  }
  async restorePhysical(dest: CloneDest, _artifact: () => Readable): Promise<{ gtid: string }> {
    this.calls.push('restorePhysical');
    this.running.delete(dest.nodeId);
    return { gtid: '0-1-1' };
  }
  async replayBinlog(req: ReplayRequest): Promise<{ bytes: number }> {
    this.calls.push('replayBinlog');
    this.replays.push(`${req.nodeId} ${req.startGtid}..${req.stopGtid}`);
    return { bytes: 0 };
  }
  /** Each replay asked for: `<node> <start>..<stop>`. */
  readonly replays: string[] = [];
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
    return new Map(nodes.map((n) => [n.nodeId, { totalBytes: n.limitBytes, usedBytes: 0, hardLimit: false }]));
  }
  async inspect(nodeId: string): Promise<NodeRuntime> {
    this.calls.push('inspect');
    const run = this.running.get(nodeId);
    return run === undefined ? { alive: false } : { alive: true, incarnation: `run-${run}` };
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
  async listRunning(): Promise<Array<{ nodeId: string; incarnation: string }>> {
    this.calls.push('listRunning');
    return [...this.running].map(([nodeId, run]) => ({ nodeId, incarnation: `run-${run}` }));
  }
  async usage(nodeId: string, _opts?: { diskMaxAgeMs?: number }): Promise<NodeUsage | undefined> {
    this.calls.push('usage');
    const run = this.running.get(nodeId);
    return run === undefined ? undefined : { incarnation: `run-${run}`, cpuSeconds: 0, rssBytes: 0, diskBytes: 0 };
  }
  async runBackup(_job: BackupJob, sink: Writable): Promise<BackupJobResult> {
    this.calls.push('runBackup');
    await new Promise<void>((resolve, reject) => sink.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return { position: { gtid: '', binlogFile: '', binlogPos: 0 } };
  }
  async abortBackup(_jobId: string): Promise<void> {
    this.calls.push('abortBackup');
  }
}
