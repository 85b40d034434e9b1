/** The Prometheus exporter: per-node gauges with their labels, gaps as absent series, control-plane metrics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeOutcome, RoundReport } from '../../src/metrics/collector.js';
import { PromMetrics } from '../../src/metrics/prometheus.js';
import { ReplicationReporter } from '../../src/ha/replication-reporter.js';
import { classifyReplica } from '../../src/ha/replication-health.js';

const node = (uuid: string, id: string, role: string, values?: NodeOutcome['values']): NodeOutcome =>
  ({ instance: { uuid, name: `name-${uuid}` }, node: { id, role }, reporting: role !== 'standby', values, error: values ? undefined : 'timeout' });

const round = (nodes: NodeOutcome[], at = 1_700_000_000_000): RoundReport => ({ dueAt: at, doneAt: at + 40, durationMs: 35, nodes });

function prom(tasks: Record<string, number> = { FINISH: 3, DOING: 1 }) {
  return new PromMetrics({ countTasksByStatus: async () => tasks, knownActions: ['DescribeDBInstances'], processMetrics: false });
}

/** Value of the one sample line that has `name` and all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
  const hit = lines.filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  if (hit.length > 1) throw new Error(`ambiguous: ${hit.join('\n')}`);
  return hit[0] === undefined ? undefined : Number(hit[0].split(' ').at(-1));
}

test('per-node gauges carry instance_uuid, instance_name, node and role', async () => {
  const p = prom();
  p.roundDone(round([
    node('i1', 'n1', 'primary', { mysql_cpu_usage: 12.5, mysql_mem_usage: 40, mysql_space_usage: 3, mysql_network_trffice: 0.25, mysql_sessions: 4, mysql_slow_queries: 2 }),
    node('i1', 'n2', 'standby', { mysql_mem_usage: 30, mysql_sessions: 0, mysql_slow_queries: 0 }),
  ]));
  const t = (await p.render()).body;
  const l1 = { instance_uuid: 'i1', instance_name: 'name-i1', node: 'n1', role: 'primary' };
  assert.equal(sample(t, 'openrds_mysql_cpu_usage_percent', l1), 12.5);
  assert.equal(sample(t, 'openrds_mysql_mem_usage_percent', l1), 40);
  assert.equal(sample(t, 'openrds_mysql_space_usage_percent', l1), 3);
  assert.equal(sample(t, 'openrds_mysql_network_traffic_mb_per_second', l1), 0.25);
  assert.equal(sample(t, 'openrds_mysql_sessions', l1), 4);
  assert.equal(sample(t, 'openrds_mysql_slow_queries_total', l1), 2);
  assert.equal(sample(t, 'openrds_node_up', l1), 1);
  assert.equal(sample(t, 'openrds_mysql_mem_usage_percent', { node: 'n2', role: 'standby' }), 30);
  assert.equal(sample(t, 'openrds_mysql_cpu_usage_percent', { node: 'n2' }), undefined, 'not measured yet: absent');
  assert.match(t, /# TYPE openrds_mysql_slow_queries_total counter/);
  assert.match(t, /# TYPE openrds_mysql_sessions gauge/);
});

test('a node that gave a gap has no gauges (not zeros) and up 0; the slow-query counter keeps counting', async () => {
  const p = prom();
  p.roundDone(round([node('i1', 'n1', 'primary', { mysql_mem_usage: 40, mysql_sessions: 1, mysql_slow_queries: 5 })]));
  p.roundDone(round([node('i1', 'n1', 'primary')]));
  let t = (await p.render()).body;
  assert.equal(sample(t, 'openrds_mysql_mem_usage_percent', { node: 'n1' }), undefined);
  assert.equal(sample(t, 'openrds_mysql_sessions', { node: 'n1' }), undefined);
  assert.equal(sample(t, 'openrds_node_up', { node: 'n1' }), 0);
  assert.equal(sample(t, 'openrds_collector_readings_total', { result: 'gap' }), 1);
  assert.equal(sample(t, 'openrds_collector_readings_total', { result: 'ok' }), 1);
  p.roundDone(round([node('i1', 'n1', 'primary', { mysql_mem_usage: 41, mysql_sessions: 1, mysql_slow_queries: 1 })]));
  t = (await p.render()).body;
  assert.equal(sample(t, 'openrds_mysql_slow_queries_total', { node: 'n1' }), 6);
  assert.equal(sample(t, 'openrds_node_up', { node: 'n1' }), 1);
});

test('a deleted instance disappears from the export', async () => {
  const p = prom();
  p.roundDone(round([node('i1', 'n1', 'primary', { mysql_sessions: 1, mysql_slow_queries: 1 }), node('i2', 'n3', 'primary', { mysql_sessions: 2, mysql_slow_queries: 0 })]));
  p.roundDone(round([node('i2', 'n3', 'primary', { mysql_sessions: 2, mysql_slow_queries: 0 })]));
  const t = (await p.render()).body;
  assert.doesNotMatch(t, /instance_uuid="i1"/);
  assert.equal(sample(t, 'openrds_mysql_sessions', { instance_uuid: 'i2' }), 2);
});

test('control plane: tasks by status, API requests and latency with bounded labels, collector lag and duration', async () => {
  const p = prom({ NEW: 2, FINISH: 7 });
  p.apiHooks.onRequestDone!('DescribeDBInstances', 'Success', 0.004);
  p.apiHooks.onRequestDone!('DescribeDBInstances', 'Success', 0.002);
  p.apiHooks.onRequestDone!('NoSuchAction-' + Math.random(), 'InvalidAction', 0.001);
  p.roundDone(round([]));
  const t = (await p.render()).body;
  assert.equal(sample(t, 'openrds_tasks', { status: 'NEW' }), 2);
  assert.equal(sample(t, 'openrds_tasks', { status: 'FINISH' }), 7);
  assert.equal(sample(t, 'openrds_api_requests_total', { action: 'DescribeDBInstances', code: 'Success' }), 2);
  assert.equal(sample(t, 'openrds_api_requests_total', { action: 'other', code: 'InvalidAction' }), 1);
  assert.equal(sample(t, 'openrds_api_request_duration_seconds_count', { action: 'DescribeDBInstances' }), 2);
  assert.equal(sample(t, 'openrds_collector_lag_seconds'), 0.04);
  assert.equal(sample(t, 'openrds_collector_round_duration_seconds_count'), 1);
  assert.equal(sample(t, 'openrds_collector_last_round_timestamp_seconds'), 1_700_000_000.04);
});

test('GET /metrics with metrics.prometheusToken: 401 without or with a wrong bearer token, 200 with it; open without a token', async () => {
  const { default: Fastify } = await import('fastify');
  const { metricsRoute } = await import('../../src/metrics/prometheus.js');
  const cases: Array<{ token: string; auth?: string; status: number }> = [
    { token: 's3cret-token', status: 401 },
    { token: 's3cret-token', auth: 'Bearer wrong-token!', status: 401 },
    { token: 's3cret-token', auth: 'Bearer s3cret-tok', status: 401 },
    { token: 's3cret-token', auth: 's3cret-token', status: 401 },
    { token: 's3cret-token', auth: 'Bearer s3cret-token', status: 200 },
    { token: '', status: 200 },
  ];
  for (const c of cases) {
    const app = Fastify();
    await app.register(metricsRoute(prom(), c.token));
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: c.auth ? { authorization: c.auth } : {} });
    assert.equal(r.statusCode, c.status, JSON.stringify(c));
    if (c.status === 200) assert.match(r.body, /openrds_tasks/);
    else assert.match(r.body, /Authorization: Bearer/);
    await app.close();
  }
});

test('replication gauges: one series per observed node, labelled like the node gauges; unknown values have no sample', async () => {
  let now = 1_700_000_000_000;
  const written: string[] = [];
  const rep = new ReplicationReporter({ updateInstance: async (uuid) => { written.push(uuid); } }, () => now);
  const p = new PromMetrics({ countTasksByStatus: async () => ({}), knownActions: [], processMetrics: false, replication: () => rep.current() });
  const base = { ioRunning: 'Yes', sqlRunning: 'Yes', masterHost: 'h', masterPort: 1, lastIoErrno: 0, lastIoError: '', lastSqlErrno: 0, lastSqlError: '', gtidIoPos: '', secondsBehind: 7 };
  await rep.observe({ uuid: 'i1', name: 'ha' }, { id: 'n2', role: 'standby' }, classifyReplica(base));
  await rep.observe({ uuid: 'i2', name: 'ro' }, { id: 'n3', role: 'replica' }, classifyReplica({ ...base, sqlRunning: 'No', lastSqlErrno: 1062, secondsBehind: null }));
  let t = (await p.render()).body;
  const l1 = { instance_uuid: 'i1', instance_name: 'ha', node: 'n2', role: 'standby' };
  const l2 = { instance_uuid: 'i2', instance_name: 'ro', node: 'n3', role: 'replica' };
  assert.equal(sample(t, 'openrds_replica_seconds_behind_source', l1), 7);
  assert.equal(sample(t, 'openrds_replica_io_running', l1), 1);
  assert.equal(sample(t, 'openrds_replica_sql_running', l1), 1);
  assert.equal(sample(t, 'openrds_replica_state', { ...l1, state: 'REPLICATING' }), 1);
  assert.equal(sample(t, 'openrds_replica_state', { ...l1, state: 'BROKEN' }), 0);
  assert.equal(sample(t, 'openrds_replica_seconds_behind_source', l2), undefined, 'lag unknown: no sample');
  assert.equal(sample(t, 'openrds_replica_sql_running', l2), 0);
  assert.equal(sample(t, 'openrds_replica_state', { ...l2, state: 'BROKEN' }), 1);
  assert.deepEqual(written, ['i1', 'i2'], 'the first observation of each is recorded');
  // After a failover the other node is the standby: one series per instance, the newest node.
  await rep.observe({ uuid: 'i1', name: 'ha' }, { id: 'n1', role: 'standby' }, classifyReplica(base));
  t = (await p.render()).body;
  assert.equal(sample(t, 'openrds_replica_io_running', { node: 'n2' }), undefined);
  assert.equal(sample(t, 'openrds_replica_io_running', { node: 'n1' }), 1);
  // Nobody looked for a while (a task runs on the instance): the series go away.
  now += 10_001;
  t = (await p.render()).body;
  assert.equal(sample(t, 'openrds_replica_io_running', { node: 'n1' }), undefined);
  assert.equal(sample(t, 'openrds_replica_state', { node: 'n3', state: 'BROKEN' }), undefined);
});
