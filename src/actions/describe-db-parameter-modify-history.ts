/**
 * DescribeDBParameterModifyHistory (spec §4.23): the parameter changes of an instance between
 * StartTime and EndTime (inclusive, `YYYY-MM-DD HH:MM:SS` UTC), oldest first. IsValid is true
 * only for a change read back from every node (src/tasks/definitions/modify-parameters.ts).
 */
import { implement } from '../api/contract-params.js';
import { DescribeDBParameterModifyHistory } from '../contract/parameters.js';
import { invalidParam, notFound } from '../api/errors.js';
import { HistoryState } from '../store/parameters-repo.js';
import { apiTime, parseApiTime } from './present.js';

export const describeDbParameterModifyHistory = implement(DescribeDBParameterModifyHistory, async ({ svc, tenantId }, a) => {
  const uuid = a.InstanceUuid;
  const start = parseApiTime(a.StartTime);
  if (start === undefined) throw invalidParam('StartTime', 'must be a UTC time in the form YYYY-MM-DD HH:MM:SS');
  const end = parseApiTime(a.EndTime);
  if (end === undefined) throw invalidParam('EndTime', 'must be a UTC time in the form YYYY-MM-DD HH:MM:SS');
  if (end < start) throw invalidParam('EndTime', 'must not be before StartTime');
  const inst = await svc.store.getInstance(tenantId, uuid);
  if (!inst) throw notFound('instance', uuid);
  const rows = await svc.store.parameters.history(uuid, start, end + 999);
  return {
    data: rows.map((h) => ({
      ParameterName: h.name,
      OldParameterValue: h.old_value,
      NewParameterValue: h.new_value,
      ModifyTime: apiTime(h.modified_at),
      ModifyRole: h.role,
      IsValid: h.state === HistoryState.valid,
      StatusMessage: h.status_message,
    })),
  };
});
