/**
 * The automatic backup policy (ModifyDbBackupPolicy, spec §4.18) as pure functions: slot
 * parsing, slot occurrences in the instance's time zone, and decideSchedule(), the decision
 * of one scheduler round. Semantics (docs/backups.md, "Scheduler"):
 *
 * - A slot is one hour (`TimeSlot` `02:00-03:00`) on the days of `DateList` (`0` = Sunday),
 *   in the instance's TimeZone (e.g. `+08:00`).
 * - Each policy remembers the start of the last slot it handled (`last_slot_at`). A round
 *   looks at the slots that started in (last_slot_at, now]; there is at most one backup per
 *   round and policy, for the newest of them, and last_slot_at moves to that slot in the
 *   same transaction that records the backup. So a slot is never run twice, across restarts
 *   and even with several schedulers.
 * - The newest slot still open (now < start + 1 h): a backup now, on time.
 * - The newest slot already over (serve was not running during the whole slot): a catch-up
 *   backup now, marked late in StatusDetail. Older slots that were missed as well are named in
 *   the same StatusDetail and logged: one catch-up covers them, nothing is skipped silently.
 * - Setting a policy starts counting at that moment: a slot that began before is not run.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The 24 TimeSlot values of spec §3: `00:00-01:00` … `23:00-24:00`. */
export const TIME_SLOTS: readonly string[] = Array.from({ length: 24 }, (_, h) => `${pad(h)}:00-${pad(h + 1)}:00`);

/** DateList values: `0` (Sunday) … `6` (Saturday). */
export const WEEKDAYS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6'];

/** The starting hour of a TimeSlot, or undefined when it is not one of TIME_SLOTS. */
export function slotHour(timeSlot: string): number | undefined {
  const i = TIME_SLOTS.indexOf(timeSlot);
  return i < 0 ? undefined : i;
}

/** Minutes east of UTC of an instance TimeZone (`+08:00`, `-03:00`, `+05:30`); 0 when malformed. */
export function tzOffsetMinutes(tz: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(tz.trim());
  if (!m) return 0;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

export interface SlotPolicy {
  /** Starting hour 0–23, local to the instance. */
  hour: number;
  /** Weekdays 0–6 (0 = Sunday), local to the instance. */
  days: readonly number[];
  /** The instance's offset from UTC in minutes. */
  tzMinutes: number;
}

/** At most this many days are walked back: a longer outage is reported as "more than a year". */
const MAX_LOOKBACK_DAYS = 400;

/** Starts (epoch ms) of the slots with fromExclusive < start ≤ toInclusive, oldest first. */
export function slotStartsBetween(p: SlotPolicy, fromExclusive: number, toInclusive: number): number[] {
  if (p.days.length === 0 || toInclusive <= fromExclusive) return [];
  const off = p.tzMinutes * 60_000;
  const from = Math.max(fromExclusive, toInclusive - MAX_LOOKBACK_DAYS * DAY_MS);
  const out: number[] = [];
  const lastDay = Math.floor((toInclusive + off) / DAY_MS);
  for (let day = Math.floor((from + off) / DAY_MS); day <= lastDay; day++) {
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    if (!p.days.includes(weekday)) continue;
    const start = day * DAY_MS + p.hour * HOUR_MS - off;
    if (start > fromExclusive && start >= from && start <= toInclusive) out.push(start);
  }
  return out;
}

/** `2024-05-01 02:00-03:00 +08:00`: a slot as people read it, in the instance's time zone. */
export function describeSlot(start: number, tzMinutes: number): string {
  const local = new Date(start + tzMinutes * 60_000);
  const h = local.getUTCHours();
  const sign = tzMinutes < 0 ? '-' : '+';
  const a = Math.abs(tzMinutes);
  return `${local.toISOString().slice(0, 10)} ${pad(h)}:00-${pad(h + 1)}:00 ${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export interface PolicySnapshot extends SlotPolicy {
  instanceUuid: string;
  tenantId: string;
  /** 1 = on. */
  sign: number;
  lastSlotAt: number;
  /** The instance is gone or being deleted: no more automatic backups. */
  instanceGone: boolean;
}

export interface ScheduledBackup {
  kind: 'backup';
  instanceUuid: string;
  tenantId: string;
  /** The slot this backup is for (its start). */
  slotAt: number;
  /** The policy's last_slot_at the decision was made from: the compare-and-set guard. */
  expectLastSlotAt: number;
  /** The slot was already over: a catch-up backup. */
  late: boolean;
  /** Every slot in the window that got no backup of its own (the late one included). */
  missed: number[];
  /** StatusDetail of the backup ('' for a plain on-time backup). */
  detail: string;
}

/** One scheduler round: which policies get a backup now. Pure. */
export function decideSchedule(policies: readonly PolicySnapshot[], now: number): ScheduledBackup[] {
  const out: ScheduledBackup[] = [];
  for (const p of policies) {
    if (p.sign !== 1 || p.instanceGone) continue;
    const slots = slotStartsBetween(p, p.lastSlotAt, now);
    if (slots.length === 0) continue;
    const slotAt = slots[slots.length - 1]!;
    const late = now >= slotAt + HOUR_MS;
    const missed = late ? slots : slots.slice(0, -1);
    out.push({
      kind: 'backup', instanceUuid: p.instanceUuid, tenantId: p.tenantId, slotAt, expectLastSlotAt: p.lastSlotAt, late, missed,
      detail: scheduleDetail(slotAt, late, missed, p.tzMinutes, now - p.lastSlotAt > 390 * DAY_MS),
    });
  }
  return out;
}

function scheduleDetail(slotAt: number, late: boolean, missed: number[], tz: number, truncated: boolean): string {
  const older = missed.filter((s) => s !== slotAt);
  const names = older.slice(-5).map((s) => describeSlot(s, tz));
  const more = older.length > 5 || truncated ? ` and ${truncated ? 'more' : older.length - 5} earlier` : '';
  const olderText = older.length ? `; slots missed while openrds was not running: ${names.join(', ')}${more}` : '';
  if (late) return `catch-up backup: slot ${describeSlot(slotAt, tz)} passed while openrds was not running${olderText}`;
  return older.length ? `automatic backup for slot ${describeSlot(slotAt, tz)}${olderText}` : '';
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
