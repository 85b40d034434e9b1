/** DescribeDbPrivileges (spec §4.11): the privilege levels and what each grants. No parameters. */
import type { ActionDef } from '../api/action.js';
import { PRIVILEGE_LEVEL_NAMES, PRIVILEGE_LEVELS, privilegeDetail } from '../accounts/privileges.js';

export const describeDbPrivileges: ActionDef = {
  name: 'DescribeDbPrivileges',
  async handler() {
    return { data: Object.fromEntries(PRIVILEGE_LEVEL_NAMES.map((l) => [l, privilegeDetail(PRIVILEGE_LEVELS[l])])) };
  },
};
