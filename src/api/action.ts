/** The contract of an API action module. */
import type { Logger } from 'pino';
import type { Services } from '../services.js';
import type { ParamReader } from './validate.js';

export interface ActionContext {
  tenantId: string;
  requestId: string;
  svc: Services;
  log: Logger;
}

export interface ActionResult {
  data?: unknown;
  taskId?: string;
  message?: string;
}

export interface ActionDef {
  name: string;
  handler(ctx: ActionContext, p: ParamReader): Promise<ActionResult>;
}
