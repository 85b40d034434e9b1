/** The small part of mysql2 that the MariaDB adapter uses, and how it connects. */
import mysql from 'mysql2/promise';
import type { Target } from '../engine.js';
import { PIN_SESSION_SQL } from './session.js';

export type Conn = Pick<mysql.Connection, 'query' | 'end'>;

/**
 * Every internal connection is opened here: the session is pinned (session.ts) before anything
 * else runs on it, so what users set globally never changes how internal SQL parses or reads.
 */
export async function openConnection(t: Target, connectTimeoutMs: number): Promise<mysql.Connection> {
  const c = await mysql.createConnection({
    host: t.host, port: t.port, user: t.user, password: t.password,
    connectTimeout: connectTimeoutMs, multipleStatements: false, supportBigNumbers: true,
  });
  try {
    await c.query(PIN_SESSION_SQL);
  } catch (e) {
    c.destroy();
    throw e;
  }
  return c;
}

export async function withConnection<T>(t: Target, fn: (c: Conn) => Promise<T>, connectTimeoutMs = 5000): Promise<T> {
  const c = await openConnection(t, connectTimeoutMs);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}
