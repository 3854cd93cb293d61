// The store on PostgreSQL (DATABASE_URL), through pg's connection pool.
import pg from 'pg';
import type { SqlDriver } from './driver.js';

/** `?` placeholders become $1, $2, ... (no statement of ours has a literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// BIGINT (20) and NUMERIC (1700, what SUM gives) arrive as strings by default; ours are counts
// and epoch milliseconds, well inside a double.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 || oid === 1700 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function over(query: (sql: string, params: unknown[]) => Promise<pg.QueryResult>, base: Omit<SqlDriver, 'all' | 'run'>): SqlDriver {
  return {
    ...base,
    all: async <Row>(sql: string, params: readonly unknown[] = []) => (await query(numbered(sql), [...params])).rows as Row[],
    run: async (sql, params = []) => (await query(numbered(sql), [...params])).rowCount ?? 0,
  };
}

export function openPostgres(connectionString: string): SqlDriver {
  const pool = new pg.Pool({ connectionString, types, max: 10 });
  // An idle client that loses its connection must not end the server.
  pool.on('error', (error) => console.error(`podwire: postgres: ${error.message}`));
  const location = (() => {
    try { const url = new URL(connectionString); return `postgres database ${url.pathname.slice(1) || '(default)'}${url.hostname ? ` on ${url.hostname}` : ''}`; } catch { return 'postgres (DATABASE_URL)'; }
  })();
  const driver: SqlDriver = over((sql, params) => pool.query(sql, params), {
    dialect: 'postgres',
    location,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const inner = over((sql, params) => client.query(sql, params), { ...driver, transaction: (w) => w(inner) });
        const result = await work(inner);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    // PostgreSQL's autovacuum reuses the space of dropped values by itself.
    async reclaim() {},
    async sizeBytes() {
      const { rows } = await pool.query<{ size: number }>('SELECT pg_database_size(current_database()) AS size');
      return Number(rows[0]?.size ?? 0);
    },
    close: () => pool.end(),
  });
  return driver;
}
