/** Pure: how `openrds call` prints an answer (json or table) and the table itself. */

export type OutputFormat = 'json' | 'table';

/** Columns shown for the wide lists; other lists show their first MAX_COLUMNS scalar fields. */
const TABLE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  DescribeDBInstances: ['InstanceUuid', 'InstanceName', 'Status', 'IP', 'Port', 'Cpu', 'Ram', 'Disks', 'ArchitectureType', 'MasterInfo'],
  DescribeBackups: ['BackupId', 'BackupType', 'Status', 'BackupSize', 'StartTime', 'EndTime', 'Desc'],
  DescribeDBAccount: ['AccountName', 'AccountType', 'AccountStatus', 'AccountDescription'],
};
const MAX_COLUMNS = 8;
const MAX_CELL = 40;

/** The explicit --output, else table for a list on a terminal, else json. */
export function chooseOutput(explicit: string | undefined, isTty: boolean, value: unknown): OutputFormat {
  if (explicit === 'json' || explicit === 'table') return explicit;
  return isTty && Array.isArray(value) ? 'table' : 'json';
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return Array.isArray(v) ? (v.length ? `[${v.length}]` : '') : JSON.stringify(v);
  return String(v);
}

function clip(s: string): string {
  const chars = [...s];
  return chars.length > MAX_CELL ? chars.slice(0, MAX_CELL - 1).join('') + '…' : s;
}

/** Display width: East Asian wide characters (CJK, fullwidth) take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - displayWidth(s)));

/** Columns for rows of `action`: its chosen ones present in the rows, else the first scalar fields. */
export function tableColumns(action: string, rows: readonly unknown[]): string[] {
  const objects = rows.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r));
  const keys: string[] = [];
  for (const r of objects) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  const chosen = TABLE_COLUMNS[action]?.filter((k) => keys.includes(k));
  if (chosen?.length) return chosen;
  const scalar = keys.filter((k) => objects.some((r) => r[k] === null || typeof r[k] !== 'object'));
  return scalar.slice(0, MAX_COLUMNS);
}

/**
 * A plain text table: a header row, a dashed rule, one line per row. A list of scalars is one
 * column `Value`; an object (not a list) is two columns, Field and Value.
 */
export function renderTable(action: string, value: unknown): string {
  let header: string[];
  let body: string[][];
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => v === null || typeof v !== 'object')) {
      header = ['Value'];
      body = value.map((v) => [clip(cellText(v))]);
    } else {
      header = tableColumns(action, value);
      body = value.map((r) => header.map((k) => clip(cellText((r as Record<string, unknown>)?.[k]))));
    }
  } else if (value !== null && typeof value === 'object') {
    header = ['Field', 'Value'];
    body = Object.entries(value).map(([k, v]) => [k, clip(cellText(v))]);
  } else {
    return `${cellText(value)}\n`;
  }
  if (!body.length) return '(none)\n';
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...body.map((r) => displayWidth(r[i]!))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/** `⠿ task 1f…: DOING, step start-nodes (2/7), 12.4 s` — the --wait progress line. */
export function progressLine(p: { subject: string; status: string; step: string; stepsDone?: number; stepCount?: number; elapsedMs: number }): string {
  const steps = p.stepCount ? ` (${p.stepsDone ?? 0}/${p.stepCount})` : '';
  const step = p.step ? `, step ${p.step}${steps}` : steps;
  return `${p.subject}: ${p.status}${step}, ${(p.elapsedMs / 1000).toFixed(1)} s`;
}
