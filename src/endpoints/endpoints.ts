/**
 * The Endpoints port: a stable IP:Port per instance that always reaches its current primary.
 * The local adapter uses kernel DNAT (nftables), so forwarding costs nothing in user space and
 * keeps working while `openrds serve` is down or restarting. A Kubernetes adapter would use a
 * Service whose selector follows the primary. See docs/endpoints.md for the measurements.
 */
export interface Address {
  ip: string;
  port: number;
}

export interface Endpoints {
  readonly kind: string;
  /** Points `front` at `target`, atomically replacing any previous target. Idempotent. */
  point(front: Address, target: Address): Promise<void>;
  /** Removes the endpoint; existing connections are not cut by this call. Idempotent. */
  remove(front: Address): Promise<void>;
  /**
   * Every endpoint currently in force (front → target). `maxAgeMs`: an answer read from the
   * kernel at most this long ago will do (the adapter's own changes are always included); 0 reads now.
   */
  list(opts?: { maxAgeMs?: number }): Promise<Array<{ front: Address; target: Address }>>;
  /**
   * Addresses that endpoints of other owners on the same hosts take (another openrds home's
   * rules), as fronts or targets: an instance given one of them would be reached through their
   * rule, not its own server. The address allocator skips them (src/network/host-addresses.ts).
   */
  foreign(): Promise<Address[]>;
  /** Removes everything this adapter installed (`openrds halt`, tests, uninstall). */
  destroyAll(): Promise<void>;
}

export const addrKey = (a: Address) => `${a.ip}:${a.port}`;
