/** Accounts and privileges (spec §4.8–§4.13, docs/accounts.md). */
import { ACCOUNT_NAME, EMPTY, ENGINE_NAME, INSTANCE_UUID, PRIVILEGE_LEVEL_NAMES } from './common.js';
import { defineAction } from './types.js';

export const CreatePrivilegedAccount = defineAction({
  name: 'CreatePrivilegedAccount', group: 'accounts', spec: '§4.8',
  summary: 'create an account (Super: every privilege, one per instance; Normal: per database)',
  params: {
    InstanceUuid: INSTANCE_UUID,
    AccountName: ACCOUNT_NAME,
    Password: { type: 'string', required: true, maxLen: 128, desc: 'the password', example: 'App-Pass1', range: 'the password policy (docs/accounts.md)' },
    AccountType: { type: 'string', required: true, oneOf: ['Super', 'Normal'], desc: 'account type', example: 'Normal' },
    Description: { type: 'text', maxLen: 256, desc: 'a description (free text)', example: 'the shop application' },
  },
  response: EMPTY,
});

export const DescribeDBAccount = defineAction({
  name: 'DescribeDBAccount', group: 'accounts', spec: '§4.12', idempotent: true,
  summary: "an instance's accounts with the privileges the engine holds",
  params: { InstanceUuid: INSTANCE_UUID },
  response: [{
    AccountName: 'string', AccountType: 'string', AccountStatus: 'string', AccountDescription: 'string', ServiceId: 'string',
    DatabasePrivileges: { nullable: [{ AccountPrivilegeType: 'string', DBName: 'string', TableName: 'string', AccountPrivilegeDetail: 'string' }] },
    ExtraPrivilege: { nullable: { AllCreate: 'string' } },
  }],
});

export const DescribeDbPrivileges = defineAction({
  name: 'DescribeDbPrivileges', group: 'accounts', spec: '§4.13', idempotent: true,
  summary: 'the privilege levels and the privileges each one grants',
  params: {},
  response: { ReadWrite: 'string', DMLOnly: 'string', ReadOnly: 'string', DDLOnly: 'string' },
});

export const ModifyDbPrivilege = defineAction({
  name: 'ModifyDbPrivilege', group: 'accounts', spec: '§4.9',
  summary: "set a Normal account's privilege level on existing databases",
  params: {
    InstanceUuid: INSTANCE_UUID,
    AccountName: ACCOUNT_NAME,
    Operations: {
      type: 'object[]', required: true, maxItems: 100, desc: 'databases and the level on each', example: '[{"DBName":"shop","Privilege":"ReadWrite"}]',
      fields: {
        DBName: { type: 'string', required: true, ...ENGINE_NAME, desc: 'an existing user database', example: 'shop' },
        Privilege: { type: 'string', required: true, oneOf: PRIVILEGE_LEVEL_NAMES, desc: 'the privilege level', example: 'ReadWrite' },
      },
    },
    ExtraPrivilege: {
      type: 'object', desc: 'global privileges', example: '{"AllCreate":"true"}',
      fields: { AllCreate: { type: 'boolean', desc: 'may CREATE databases', example: 'true' } },
    },
  },
  response: EMPTY,
});

export const DeleteDbPrivilege = defineAction({
  name: 'DeleteDbPrivilege', group: 'accounts', spec: '§4.10',
  summary: 'revoke everything a Normal account holds on databases',
  params: {
    InstanceUuid: INSTANCE_UUID,
    AccountName: ACCOUNT_NAME,
    DBNames: { type: 'string[]', required: true, maxItems: 100, item: ENGINE_NAME, desc: 'the databases', example: '["shop"]' },
  },
  response: EMPTY,
});

export const DeleteDBAccount = defineAction({
  name: 'DeleteDBAccount', group: 'accounts', spec: '§4.11',
  summary: 'drop an account on every node',
  params: { InstanceUuid: INSTANCE_UUID, AccountName: ACCOUNT_NAME },
  response: EMPTY,
});
