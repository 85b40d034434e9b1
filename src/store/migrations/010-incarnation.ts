/**
 * 010: nodes carry no process id (issue 12 §3, ports without host facts). `incarnation` is the
 * provisioner's opaque id of the server's current run (NodeRuntime.incarnation), recorded when it
 * changes; null while the node has not been seen running.
 */
import type { Kysely, Migration } from 'kysely';

export const m010Incarnation: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('nodes').dropColumn('pid').execute();
    await db.schema.alterTable('nodes').addColumn('incarnation', 'text').execute();
  },
};
