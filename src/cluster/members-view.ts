/** `openrds members` (docs/cluster.md): the pure view of the members table and the loop leases. */
import type { LoopLease, Member } from '../store/cluster-repo.js';
import { DEFAULT_TIMING } from './membership.js';

export interface MemberView {
  id: string;
  host: string;
  pid: number;
  listen: string;
  heartbeatAgeMs: number;
  alive: boolean;
  /** Loop leases it holds now (`name` or `name@host`) with their tokens. */
  loops: Array<{ name: string; token: number }>;
}

export function viewMembers(members: readonly Member[], leases: readonly LoopLease[], now: number, memberTtlMs = DEFAULT_TIMING.memberTtlMs): { members: MemberView[]; unowned: string[] } {
  const live = leases.filter((l) => l.lease_until >= now);
  const out = members.map((m) => ({
    id: m.id, host: m.host_id, pid: m.pid, listen: m.listen,
    heartbeatAgeMs: Math.max(0, now - m.heartbeat_at),
    alive: now - m.heartbeat_at <= memberTtlMs,
    loops: live.filter((l) => l.owner === m.id).map((l) => ({ name: l.name, token: l.token })),
  }));
  const unowned = leases.filter((l) => l.lease_until < now).map((l) => l.name);
  return { members: out, unowned };
}

export function formatMembers(v: ReturnType<typeof viewMembers>): string {
  if (!v.members.length) return 'no serve node is registered in this store\n';
  const lines = v.members.map((m) => `${m.id}  host ${m.host}  pid ${m.pid}  ${m.alive ? 'alive' : 'DEAD'}  heartbeat ${(m.heartbeatAgeMs / 1000).toFixed(1)} s ago  ${m.listen}\n`
    + `  loops: ${m.loops.length ? m.loops.map((l) => `${l.name} (token ${l.token})`).join(', ') : 'none'}`);
  if (v.unowned.length) lines.push(`loops without a live owner: ${v.unowned.join(', ')}`);
  return lines.join('\n') + '\n';
}
