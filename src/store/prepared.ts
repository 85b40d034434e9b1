/**
 * Queries on the API's hot path, built by kysely once and then run with new arguments: building
 * a query costs ~35 µs, running a compiled one ~4 µs (bench/RESULTS.md). Arguments are found in
 * the compiled parameter list by sentinel values, so the order kysely emits them in never matters.
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

export function prepared<R, A extends string[]>(db: Kysely<any>, arity: A['length'], build: (...args: A) => Compilable<R>): (...args: A) => Promise<R[]> {
  const run = preparedResult(db, arity, build);
  return async (...args: A) => (await run(...args)).rows;
}

/** As prepared(), but answers the whole result (numAffectedRows for writes). Arguments may also be numbers. */
export function preparedResult<R, A extends Array<string | number>>(db: Kysely<any>, arity: A['length'], build: (...args: A) => Compilable<R>): (...args: A) => Promise<QueryResult<R>> {
  const sentinels = Array.from({ length: arity }, (_, i) => `\u0000openrds-arg-${i}\u0000`);
  const compiled = build(...(sentinels as A)).compile();
  const slots = compiled.parameters.map((p) => sentinels.indexOf(p as string));
  if (sentinels.some((_, i) => !slots.includes(i))) throw new Error(`prepared query does not use all ${arity} arguments: ${compiled.sql}`);
  return async (...args: A) => {
    const params = compiled.parameters.map((p, k) => (slots[k]! >= 0 ? args[slots[k]!] : p));
    return db.executeQuery<R>(CompiledQuery.raw(compiled.sql, params));
  };
}
