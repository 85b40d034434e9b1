/**
 * Pure HA decisions (docs/ha.md): from a snapshot of an HA instance, what to do now.
 * Rules:
 * - A primary whose process is gone, or that has not answered for hangTimeoutMs, has failed.
 * - Failover only when no acknowledged write can be lost: the standby is alive and was
 *   replicating, and semi-sync was ON at the last check (so every acked commit reached it).
 *   Flap guard: not more than maxFailoversPerWindow in flapWindowMs.
 * - Otherwise the failed primary is restarted in place (its datadir has every acked commit).
 * - A dead standby, or one that is not replicating, is repaired: restarted, rejoined, or rebuilt from a copy.
 * - The endpoint must point at the primary.
 */
import type { HaConfig } from './ha-state.js';

export interface HaSnapshot {
  now: number;
  primary: { nodeId: string; alive: boolean; answering: boolean; silentSinceMs?: number };
  standby?: { nodeId: string; alive: boolean; answering: boolean; replicating: boolean };
  /** The last check at which the primary answered: was the standby replicating, was semi-sync ON? */
  lastGood?: { at: number; standbyReplicating: boolean; semiSyncOn: boolean };
  failovers: number[];
  endpointOk: boolean;
}

/** How old the last good observation may be for a failover to rely on it. */
export const LAST_GOOD_MAX_AGE_MS = 5000;

export type HaAction =
  | { kind: 'failover'; from: string; to: string }
  | { kind: 'restart-primary'; nodeId: string; kill: boolean; why: string }
  | { kind: 'repair-standby'; nodeId: string }
  | { kind: 'repoint-endpoint' }
  | { kind: 'none' };

export function primaryFailed(s: HaSnapshot, cfg: HaConfig): 'dead' | 'hung' | undefined {
  if (!s.primary.alive) return 'dead';
  if (!s.primary.answering && (s.primary.silentSinceMs ?? 0) >= cfg.hangTimeoutMs) return 'hung';
  return undefined;
}

export function failoverBlocker(s: HaSnapshot, cfg: HaConfig): string | undefined {
  const sb = s.standby;
  if (!sb) return 'the instance has no standby';
  if (!sb.alive || !sb.answering) return 'the standby is down too';
  const g = s.lastGood;
  if (!g || s.now - g.at > LAST_GOOD_MAX_AGE_MS + cfg.hangTimeoutMs) return 'no recent healthy observation of the pair';
  if (!g.standbyReplicating) return 'the standby was not replicating (it is being rebuilt)';
  if (!g.semiSyncOn) return 'semi-sync had fallen back to asynchronous replication, so the standby may miss acknowledged commits';
  const recent = s.failovers.filter((t) => s.now - t < cfg.flapWindowMs).length;
  if (recent >= cfg.maxFailoversPerWindow) return `${recent} failovers within ${Math.round(cfg.flapWindowMs / 60000)} min (flap guard)`;
  return undefined;
}

export function decideHa(s: HaSnapshot, cfg: HaConfig): { action: HaAction; withheld?: string } {
  const failed = primaryFailed(s, cfg);
  if (failed) {
    const blocker = failoverBlocker(s, cfg);
    if (!blocker) return { action: { kind: 'failover', from: s.primary.nodeId, to: s.standby!.nodeId } };
    return {
      action: { kind: 'restart-primary', nodeId: s.primary.nodeId, kill: failed === 'hung', why: failed },
      withheld: `automatic failover withheld: ${blocker}; restarting the primary in place`,
    };
  }
  if (!s.primary.answering) return { action: { kind: 'none' } }; // maybe hung; wait for hangTimeoutMs
  if (!s.endpointOk) return { action: { kind: 'repoint-endpoint' } };
  const sb = s.standby;
  if (sb && (!sb.alive || (sb.answering && !sb.replicating))) return { action: { kind: 'repair-standby', nodeId: sb.nodeId } };
  return { action: { kind: 'none' } };
}
