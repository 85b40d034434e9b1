/** Engine parameters (spec §4.22–§4.24, docs/parameters.md). */
import { API_TIME, EMPTY, INSTANCE_UUID } from './common.js';
import { defineAction } from './types.js';

export const DescribeDBParameter = defineAction({
  name: 'DescribeDBParameter', group: 'parameters', spec: '§4.22', idempotent: true,
  summary: 'the tunable parameters with the values the primary runs',
  params: { InstanceUuid: INSTANCE_UUID },
  response: {
    Parameters: [{
      Name: 'string', CurrentValue: 'string', DefaultValue: 'string', Description: 'string', IsModify: 'string', IsRestart: 'string', CheckingCode: 'string',
    }],
  },
});

export const ModifyDBParameter = defineAction({
  name: 'ModifyDBParameter', group: 'parameters', spec: '§4.23', wait: 'instance-running',
  summary: 'change engine parameters (read back on every node)',
  params: {
    InstanceUuid: INSTANCE_UUID,
    Parameters: {
      type: 'object[]', required: true, maxItems: 100, desc: 'the changes', example: '[{"Name":"max_connections","Value":"500"}]',
      fields: {
        Name: { type: 'string', required: true, maxLen: 64, desc: 'a parameter of DescribeDBParameter', example: 'max_connections' },
        Value: { type: 'string', required: true, maxLen: 1024, desc: 'the new value (string or number)', example: '500', range: "the parameter's CheckingCode" },
      },
    },
  },
  response: EMPTY,
});

export const DescribeDBParameterModifyHistory = defineAction({
  name: 'DescribeDBParameterModifyHistory', group: 'parameters', spec: '§4.24', idempotent: true,
  summary: 'parameter changes between two times, oldest first',
  params: {
    InstanceUuid: INSTANCE_UUID,
    StartTime: { ...API_TIME, desc: 'from (UTC, inclusive)' },
    EndTime: { ...API_TIME, desc: 'to (UTC, inclusive), not before StartTime', example: '2026-12-31 23:59:59' },
  },
  response: [{
    ParameterName: 'string', OldParameterValue: 'string', NewParameterValue: 'string', ModifyTime: 'string', ModifyRole: 'string', IsValid: 'boolean', StatusMessage: 'string',
  }],
});
