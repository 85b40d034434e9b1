import type { TaskDefinition } from '../task.js';
import { createBackupTask } from './create-backup.js';
import { deleteBackupTask } from './delete-backup.js';
import { createInstanceTask } from './create-instance.js';
import { deleteInstanceTask } from './delete-instance.js';
import { modifyParametersTask } from './modify-parameters.js';
import { recoverNodeTask } from './recover-node.js';
import { failoverTask } from './failover.js';
import { createReadOnlyTask } from './create-read-only.js';
import { repairStandbyTask } from './repair-standby.js';
import { modifySpecTask } from './modify-spec.js';
import { restoreInPlaceTask } from './restore-in-place.js';
import { restoreToTemporaryTask } from './restore-to-temporary.js';

export const TASK_DEFINITIONS: TaskDefinition<any>[] = [createInstanceTask, deleteInstanceTask, recoverNodeTask, modifyParametersTask, failoverTask, repairStandbyTask, createReadOnlyTask, modifySpecTask, createBackupTask, deleteBackupTask, restoreInPlaceTask, restoreToTemporaryTask];

/** Number of steps per task type (progress reporting). */
export const TASK_STEP_COUNT: ReadonlyMap<string, number> = new Map(TASK_DEFINITIONS.map((d) => [d.type, d.steps.length]));
