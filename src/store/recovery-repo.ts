/**
 * Queries of restores (docs/recovery.md). Exposed as `store.recovery`.
 *
 * Contracts:
 * - `replaceAccounts` makes the instance's account rows exactly the accounts read back from the
 *   restored engine, in one transaction: rows of accounts the data no longer has go, accounts it
 *   has get a row (`available`), the rest take the restored password hash and type. Descriptions
 *   of kept accounts stay.
 */
import type { Kysely } from 'kysely';
import type { AccountSpec } from '../engine/engine.js';
import type { Database } from './schema.js';

export class RecoveryRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async replaceAccounts(instanceUuid: string, accounts: readonly AccountSpec[], now: number): Promise<{ added: string[]; removed: string[]; changed: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('accounts').selectAll().where('instance_uuid', '=', instanceUuid).execute();
      const have = new Map(rows.map((r) => [r.name, r]));
      const want = new Map(accounts.map((a) => [a.name, a]));
      const out = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
      for (const r of rows) {
        if (want.has(r.name)) continue;
        await trx.deleteFrom('accounts').where('instance_uuid', '=', instanceUuid).where('name', '=', r.name).execute();
        out.removed.push(r.name);
      }
      for (const a of accounts) {
        const r = have.get(a.name);
        if (!r) {
          await trx.insertInto('accounts').values({
            instance_uuid: instanceUuid, name: a.name, type: a.type, description: '', password_hash: a.passwordHash, status: 'available', created_at: now,
          }).execute();
          out.added.push(a.name);
        } else if (r.type !== a.type || r.password_hash !== a.passwordHash || r.status !== 'available') {
          await trx.updateTable('accounts').set({ type: a.type, password_hash: a.passwordHash, status: 'available' })
            .where('instance_uuid', '=', instanceUuid).where('name', '=', a.name).execute();
          out.changed.push(a.name);
        }
      }
      return out;
    });
  }
}
