/**
 * Monitoring: the six metrics of DescribeDBInstancePerformance over 1 h, 1 d, 7 d or 30 d, drawn
 * with uPlot. The server picks the period from the span (30 s, 1 min, 5 min, 1 h; docs/monitoring.md);
 * a bucket without a measurement is absent and is drawn as a gap, never as 0.
 */
import uPlot from 'uplot';
import { apiTime, clear, h } from './dom.js';
import type { TabCtx } from './instance.js';
import { every, type View } from './view.js';

export const METRICS = [
  ['mysql_cpu_usage', 'CPU', '%'], ['mysql_mem_usage', 'Memory', '%'], ['mysql_space_usage', 'Disk used', '%'],
  ['mysql_network_trffice', 'Network', 'MB/s'], ['mysql_sessions', 'Connections', ''], ['mysql_slow_queries', 'Slow queries', ''],
] as const;
const RANGES = [['1h', 'Last hour', 3600], ['1d', 'Last day', 86_400], ['7d', 'Last 7 days', 7 * 86_400], ['30d', 'Last 30 days', 30 * 86_400]] as const;

/** DescribeDBInstancePerformance's Values → uPlot's columns, with null for every missing bucket. */
export function toSeries(values: Array<{ DateTime: string; Value: number }>, period: number, startS: number, endS: number): [number[], Array<number | null>] {
  const at = new Map(values.map((v) => [Math.floor(Date.parse(v.DateTime.replace(' ', 'T') + 'Z') / 1000), v.Value]));
  const xs: number[] = [];
  const ys: Array<number | null> = [];
  for (let t = Math.floor(startS / period) * period; t <= endS; t += period) {
    xs.push(t);
    ys.push(at.has(t) ? at.get(t)! : null);
  }
  return [xs, ys];
}

export function monitoringTab(ctx: TabCtx): View {
  let range: (typeof RANGES)[number] = RANGES[0];
  const buttons = RANGES.map((r) => h('button', { type: 'button', 'aria-pressed': r === range ? 'true' : 'false', 'data-range': r[0], onclick: () => pick(r) }, r[1]));
  const grid = h('div', { class: 'charts' });
  const plots: uPlot[] = [];
  const cards = METRICS.map(([key, label, unit]) => {
    const box = h('div', { class: 'chart', 'data-metric': key, role: 'img', 'aria-label': `${label} chart` });
    const info = h('p', { class: 'muted small' });
    const card = h('figure', {}, h('figcaption', {}, `${label}${unit ? ` (${unit})` : ''}`), box, info);
    grid.appendChild(card);
    return { key, label, unit, box, info };
  });
  const el = h('section', { 'aria-labelledby': 'h-mon' }, h('div', { class: 'bar' }, h('h2', { id: 'h-mon' }, 'Monitoring'),
    h('div', { role: 'group', 'aria-label': 'Time range', class: 'range' }, ...buttons)), grid);

  const draw = async () => {
    const end = new Date();
    const start = new Date(end.getTime() - range[2] * 1000);
    await Promise.all(cards.map(async (c, i) => {
      try {
        const { data } = await ctx.api.call('DescribeDBInstancePerformance', { InstanceUuid: ctx.uuid, MetricKey: c.key, StartTime: apiTime(start), EndTime: apiTime(end) });
        const values = data.DataPoints?.[0]?.Values ?? [];
        const [xs, ys] = toSeries(values, data.Period, start.getTime() / 1000, end.getTime() / 1000);
        c.box.dataset.points = String(values.length);
        const nums = values.map((v: { Value: number }) => v.Value);
        c.info.textContent = `${values.length} point${values.length === 1 ? '' : 's'}, period ${data.Period} s` +
          (nums.length ? ` · latest ${nums[nums.length - 1]}${c.unit ? ` ${c.unit}` : ''}, max ${Math.max(...nums)}` : ' · not measured in this range');
        const width = Math.max(280, Math.floor(c.box.clientWidth || 360));
        plots[i]?.destroy();
        plots[i] = new uPlot({
          width, height: 160, cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: c.unit === '%' ? { range: [0, 100] } : { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
          series: [{}, { label: c.label, stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)', width: 1.5, spanGaps: false, points: { show: values.length < 3 } }],
          axes: [{}, { size: 44 }],
        }, [xs, ys], c.box);
      } catch (e) {
        clear(c.box);
        c.info.textContent = e instanceof Error ? e.message : String(e);
      }
    }));
  };
  let stop = every(Math.max(ctx.refreshMs, 10_000), draw);
  function pick(r: (typeof RANGES)[number]) {
    range = r;
    for (const b of buttons) b.setAttribute('aria-pressed', b.dataset.range === r[0] ? 'true' : 'false');
    stop();
    stop = every(Math.max(ctx.refreshMs, 10_000), draw);
  }
  return { el, dispose: () => { stop(); for (const p of plots) p?.destroy(); } };
}
