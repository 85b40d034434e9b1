/**
 * What a provisioner enforces and offers, in terms any provisioner can state (local processes,
 * Kubernetes pods, …), and the one mapping to the strings DescribeDBInstances documents.
 * The contract suite (test/contract/provisioner-contract.ts) checks that a provisioner's claims
 * hold: a `hard` disk limit refuses writes past it, a `hard` compute limit is in place.
 */

export interface ProvisionerCapabilities {
  /** How a node's DiskValue holds (docs/storage.md). */
  disk: {
    /**
     * `hard`: every node has a disk of its own of DiskValue GB, which refuses writes past it (the
     * disk guard still makes the instance read-only at 95 %). `measured`: the data's size is
     * measured against DiskValue and only the disk guard keeps it in bounds.
     */
    limit: 'hard' | 'measured';
    /** A larger DiskValue reaches a running node's disk without a restart. */
    growsOnline: boolean;
    /** Short name of how it is done, for operators (local: `loop-xfs`, or `watch` when measured). */
    mechanism: string;
    /** Why it is so, for logs (e.g. why loop mounts are not available here). */
    detail: string;
  };
  /** How the spec's CPU and RAM hold (docs/engine-config.md "Resource limits"). */
  compute: {
    /** `hard`: a CPU quota and a memory limit per node; `advisory`: only the engine settings follow the spec. */
    limit: 'hard' | 'advisory';
    /** Short name of how it is done, for operators (local: `cgroup-v1`, `cgroup-v2`; `advisory` when not). */
    mechanism: string;
    detail: string;
  };
}

/**
 * The documented extension fields of DescribeDBInstances (docs/api.md): `LimitsEnforced` is
 * `advisory` or the mechanism that enforces CPU/RAM (`cgroup-v1`, `cgroup-v2` here);
 * `DiskLimitEnforced` is `watch` for a measured disk or the mechanism of a hard one (`loop-xfs`).
 */
export function enforcementFields(c: ProvisionerCapabilities): { LimitsEnforced: string; DiskLimitEnforced: string } {
  return {
    LimitsEnforced: c.compute.limit === 'advisory' ? 'advisory' : c.compute.mechanism,
    DiskLimitEnforced: c.disk.limit === 'measured' ? 'watch' : c.disk.mechanism,
  };
}
