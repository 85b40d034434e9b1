/** Monitoring (spec §4.21, docs/monitoring.md) and tasks (spec §2.4). */
import { API_TIME, INSTANCE_UUID, METRIC_KEYS } from './common.js';
import { defineAction } from './types.js';

export const DescribeDBInstancePerformance = defineAction({
  name: 'DescribeDBInstancePerformance', group: 'monitoring', spec: '§4.21', idempotent: true,
  summary: 'one metric over a time range (span at most 30 days)',
  params: {
    InstanceUuid: INSTANCE_UUID,
    MetricKey: { type: 'string', required: true, oneOf: METRIC_KEYS, desc: 'the metric', example: 'mysql_cpu_usage' },
    StartTime: { ...API_TIME, desc: 'from (UTC)' },
    EndTime: { ...API_TIME, desc: 'to (UTC), at most 30 days after StartTime', example: '2026-01-01 01:00:00' },
  },
  response: {
    InstanceUuid: 'string', ProductType: 'string', MetricKey: 'string', Period: 'number', StartTime: 'string', EndTime: 'string',
    DataPoints: [{ MetricName: 'string', MetricType: 'string', MonitorType: 'string', Unit: 'string', Values: [{ DateTime: 'string', Value: 'number' }] }],
  },
});

export const DescribeTask = defineAction({
  name: 'DescribeTask', group: 'tasks', spec: '§2.4', idempotent: true,
  summary: 'the state of an asynchronous task (NEW, DOING, FINISH, ERROR)',
  params: {
    TaskId: { type: 'string', required: true, maxLen: 64, desc: 'the TaskId an asynchronous action answered', example: '0f8e1d2c-3b4a-4968-8776-655443322110' },
  },
  response: {
    Status: 'string', ResourceId: 'string', ResourceIds: ['string'], TaskType: 'string', ErrorMessage: 'string', CreateTime: 'string', FinishTime: 'string',
    StepName: 'string', StepsDone: 'number', StepCount: 'number',
  },
});
