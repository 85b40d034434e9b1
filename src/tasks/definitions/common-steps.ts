/**
 * Pieces shared by task definitions: the last step of every task that leaves the instance in
 * service, and the compensation of tasks whose failure leaves it in ERROR.
 */
import { InstanceStatus } from '../../instances/status.js';
import { NonRetryableError, type Step, type StepContext, type TaskDefinition } from '../task.js';

/** The instance is RUNNING again, with no detail left from the task. Idempotent. */
export function markRunningStep<P>(): Step<P> {
  return {
    name: 'mark-running',
    async run(ctx) {
      const inst = await ctx.svc.store.getInstanceAnyTenant(ctx.task.instance_uuid);
      if (!inst || inst.deleted_at !== null) throw new NonRetryableError(`instance ${ctx.task.instance_uuid} is gone`);
      await ctx.svc.store.updateInstance(ctx.task.instance_uuid, { status: InstanceStatus.RUNNING, status_detail: '', updated_at: ctx.svc.clock.now() });
    },
  };
}

/** Compensation: the instance goes to ERROR with `<what> failed: <reason>` as its StatusDetail. */
export function markErrorOnFailure<P>(what: string): NonNullable<TaskDefinition<P>['onError']> {
  return async (ctx: StepContext<P>, err: Error) => {
    await ctx.svc.store.updateInstance(ctx.task.instance_uuid, {
      status: InstanceStatus.ERROR, status_detail: `${what} failed: ${err.message}`.slice(0, 1000), updated_at: ctx.svc.clock.now(),
    });
  };
}
