import type { TaskDefinition } from '../task.js';
import { createInstanceTask } from './create-instance.js';
import { deleteInstanceTask } from './delete-instance.js';
import { recoverNodeTask } from './recover-node.js';

export const TASK_DEFINITIONS: TaskDefinition<any>[] = [createInstanceTask, deleteInstanceTask, recoverNodeTask];
