/**
 * DescribeRollbackRangeTime (spec §4.25): the window a point-in-time restore can reach
 * (src/recovery/window.ts, docs/recovery.md "Window"). Times `YYYY-MM-DD HH:MM:SS`, UTC; both `""`
 * when there is no window yet, with the reason in `Reason` (an openrds extension).
 */
import { implement } from '../api/contract-params.js';
import { DescribeRollbackRangeTime } from '../contract/recovery.js';
import { windowOf } from '../recovery/point-in-time.js';
import { apiTime } from './present.js';
import { sourceInstance } from './recovery-params.js';

export const describeRollbackRangeTime = implement(DescribeRollbackRangeTime, async ({ svc, tenantId }, a) => {
    const inst = await sourceInstance(svc, tenantId, a.InstanceUuid);
    const w = await windowOf(svc, inst.uuid, tenantId);
    // The archive's state (openrds extensions): `starting`, `streaming`, `stopped` or `off` ('' before
    // its first round), and what went wrong last (the client's end, a full storage) until it archives again.
    const stream = await svc.store.recovery.getStream(inst.uuid);
    const archive = { ArchiveStatus: stream?.status ?? '', ArchiveDetail: stream?.status_detail ?? '' };
    const gaps = (await svc.store.recovery.listGaps(inst.uuid)).filter((g) => g.kind === 'gap').map((g) => ({ Time: apiTime(g.at), FromGtid: g.from_gtid, ToGtid: g.to_gtid, Detail: g.detail }));
    if (!w.ok) return { data: { LeftBorderTime: '', RightBorderTime: '', Reason: w.why, ...archive, Gaps: gaps } };
    return { data: { LeftBorderTime: apiTime(w.left), RightBorderTime: apiTime(w.right), Reason: '', Timeline: w.timeline, ...archive, Gaps: gaps } };
});
