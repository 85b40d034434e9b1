/** The contract of an API action module. */
import type { Logger } from 'pino';
import type { Services } from '../services.js';
import type { ParamReader } from './validate.js';
import type { ActionContract } from '../contract/types.js';

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
  /** The declaration it implements (src/contract/); absent only for an action not yet converted. */
  contract?: ActionContract<any, any>;
  handler(ctx: ActionContext, p: ParamReader): Promise<ActionResult>;
}
