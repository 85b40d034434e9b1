/**
 * Pure decisions of the ModifyDBParameter task (src/tasks/definitions/modify-parameters.ts,
 * docs/parameters.md): what to restart, whether each change took effect, what to restore.
 */
import type { ParameterCatalog } from '../engine/engine.js';
import { restartOrder } from './restart.js';

export interface ParameterChange {
  name: string;
  /** Normalized by ParameterCatalog.check. */
  value: string;
}

/** What one node reports (SHOW GLOBAL VARIABLES) for the changed parameters. */
export interface NodeValues {
  nodeId: string;
  role: string;
  values: Readonly<Record<string, string>>;
}

/** StatusMessage values of DescribeDBParameterModifyHistory (CDS shows them in Chinese). */
export const HISTORY_MESSAGE = {
  pending: '修改中',
  valid: '已生效',
  invalid: '未生效',
} as const;

/** Dynamic changes (SET GLOBAL) and restart-only ones (applied by a restart). */
export function splitChanges(changes: readonly ParameterChange[], catalog: Pick<ParameterCatalog, 'get'>) {
  const restart = changes.filter((c) => catalog.get(c.name)?.restart === true);
  return { dynamic: changes.filter((c) => !restart.includes(c)), restart };
}

/**
 * Nodes that still run an old value of a restart-only change, in restart order (non-primary
 * first). A node already running every new value is left alone, so a step repeated after a
 * crash restarts only what it had not restarted yet.
 */
export function decideRestarts(restartChanges: readonly ParameterChange[], live: readonly NodeValues[], same: ParameterCatalog['same']): string[] {
  if (restartChanges.length === 0) return [];
  const stale = live.filter((n) => restartChanges.some((c) => !runs(n, c, same)));
  return restartOrder(stale).map((n) => n.nodeId);
}

export interface Outcome {
  name: string;
  valid: boolean;
  message: string;
  /** Where the value is not in effect ('' when valid). */
  where: string;
}

/** A change is valid when every node reports the new value; otherwise the message says where it is not. */
export function decideOutcomes(changes: readonly ParameterChange[], live: readonly NodeValues[], same: ParameterCatalog['same']): Outcome[] {
  return changes.map((c) => {
    const off = live.filter((n) => !runs(n, c, same));
    if (live.length > 0 && off.length === 0) return { name: c.name, valid: true, message: HISTORY_MESSAGE.valid, where: '' };
    const where = off.map((n) => `node ${n.nodeId} runs ${n.values[c.name] ?? '(unknown)'}`).join('; ') || 'no node answered';
    return { name: c.name, valid: false, message: `${HISTORY_MESSAGE.invalid}: ${where}`, where };
  });
}

/** The stored values to put back if the change fails: the old value, or null where there was none. */
export function previousValues(changes: readonly ParameterChange[], stored: Readonly<Record<string, string>>): Record<string, string | null> {
  return Object.fromEntries(changes.map((c) => [c.name, Object.hasOwn(stored, c.name) ? stored[c.name]! : null]));
}

function runs(n: NodeValues, c: ParameterChange, same: ParameterCatalog['same']): boolean {
  const v = n.values[c.name];
  return v !== undefined && same(c.name, v, c.value);
}
