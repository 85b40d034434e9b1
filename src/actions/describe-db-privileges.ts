/** DescribeDbPrivileges (spec §4.11): the privilege levels and what each grants. No parameters. */
import { implement } from '../api/contract-params.js';
import { DescribeDbPrivileges } from '../contract/accounts.js';
import { PRIVILEGE_LEVEL_NAMES, PRIVILEGE_LEVELS, privilegeDetail } from '../accounts/privileges.js';

export const describeDbPrivileges = implement(DescribeDbPrivileges, async (_ctx, a) => {
  return { data: Object.fromEntries(PRIVILEGE_LEVEL_NAMES.map((l) => [l, privilegeDetail(PRIVILEGE_LEVELS[l])])) };
});
