/** The small part of mysql2 that the MariaDB adapter uses. */
import mysql from 'mysql2/promise';
import type { Target } from '../engine.js';

export type Conn = Pick<mysql.Connection, 'query' | 'end'>;

export async function withConnection<T>(t: Target, fn: (c: Conn) => Promise<T>, connectTimeoutMs = 5000): Promise<T> {
  const c = await mysql.createConnection({
    host: t.host, port: t.port, user: t.user, password: t.password,
    connectTimeout: connectTimeoutMs, multipleStatements: false, supportBigNumbers: true,
  });
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}
