// The little the class store needs from a SQL database, so that one store runs on SQLite
// (better-sqlite3) and on PostgreSQL (pg). Statements use `?` placeholders and always take
// their values as parameters; the PostgreSQL driver numbers them ($1, $2, ...).
export type Dialect = 'sqlite' | 'postgres';

export interface SqlDriver {
  readonly dialect: Dialect;
  /** Where the data lives, for the start-up message (a file path, or the database name). */
  readonly location: string;
  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `work` in one transaction: all of it, or none of it. */
  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /** Gives the space of dropped uploads back (SQLite's file does not shrink by itself). */
  reclaim(): Promise<void>;
  /** Bytes the database takes (file size, or pg_database_size). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}
