// Queries on a PostgreSQL pool, with its faults as the store's own errors. A full disk, a
// lost connection, a server shutting down, a standby that cannot write or a deadlock fail
// the one operation (PostgreSQL rolled it back), say what happened, and pass: the same call
// succeeds once the cause is gone.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { notFound, StoreError } from './store.js';

/** Anything queries can run on: the pool, or one client inside a transaction. */
export interface Queryable {
  one<Row>(text: string, values?: unknown[]): Promise<Row | undefined>;
  all<Row>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Number of rows changed. */
  run(text: string, values?: unknown[]): Promise<number>;
}

// int8 (counts, times in ms, seqs, tokens) as a number, as SQLite gives it: every value the
// store keeps stays below 2^53.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PgSql implements Queryable {
  readonly pool: pg.Pool;
  #closed = false;
  /** The transaction the caller is inside of: its queries, and nested transactions, join it. */
  readonly #current = new AsyncLocalStorage<Queryable>();

  constructor(connectionString: string, max = 10) {
    this.pool = new pg.Pool({ connectionString, max, types });
    // A connection the server dropped must not crash the lead: the pool drops it (an idle
    // one reports the first error to the pool; a dropped socket can report a second, after
    // the pool let go of it), and the next query opens another or reports its own failure.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
  }

  get closed(): boolean {
    return this.#closed;
  }

  one = async <Row>(text: string, values?: unknown[]) => {
    const tx = this.#current.getStore();
    return tx
      ? tx.one<Row>(text, values)
      : (await this.#query<Row>(this.pool, text, values)).rows[0];
  };
  all = async <Row>(text: string, values?: unknown[]) => {
    const tx = this.#current.getStore();
    return tx ? tx.all<Row>(text, values) : (await this.#query<Row>(this.pool, text, values)).rows;
  };
  run = async (text: string, values?: unknown[]) => {
    const tx = this.#current.getStore();
    return tx ? tx.run(text, values) : ((await this.#query(this.pool, text, values)).rowCount ?? 0);
  };

  /**
   * Runs work in one transaction on one connection; any error rolls it back. Inside another
   * transaction (work called from a transaction's work), it is part of that one.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#checkOpen();
    const outer = this.#current.getStore();
    if (outer) return work(outer);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storageFault(err);
    }
    const tx: Queryable = {
      one: async <Row>(text: string, values?: unknown[]) =>
        (await this.#query<Row>(client, text, values)).rows[0],
      all: async <Row>(text: string, values?: unknown[]) =>
        (await this.#query<Row>(client, text, values)).rows,
      run: async (text: string, values?: unknown[]) =>
        (await this.#query(client, text, values)).rowCount ?? 0,
    };
    let broken: unknown;
    try {
      await this.#query(client, 'BEGIN');
      const result = await this.#current.run(tx, () => work(tx));
      await this.#query(client, 'COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        broken = rollback; // the connection is unusable: drop it rather than reuse it
      });
      throw err;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** Runs fn outside any transaction its caller is in (a batch of everyone's writes). */
  detached<T>(fn: () => T): T {
    return this.#current.exit(fn);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the store was closed; open it again before using it');
  }

  async #query<Row>(
    on: pg.Pool | pg.PoolClient,
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
    this.#checkOpen();
    try {
      return await on.query<Row & pg.QueryResultRow>(text, values);
    } catch (err) {
      throw storageFault(err);
    }
  }
}

export async function requireProject(sql: Queryable, projectId: string): Promise<void> {
  if (!(await sql.one('SELECT 1 FROM projects WHERE id = $1', [projectId]))) {
    throw notFound('project', projectId);
  }
}

/** The StoreError for a storage fault of PostgreSQL; any other error as it was. */
export function storageFault(err: unknown): unknown {
  if (err instanceof StoreError) return err;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const message = (err as Error | null)?.message ?? String(err);
  const options = { cause: err };
  const unavailable = (what: string) =>
    new StoreError(
      'unavailable',
      `the lead's PostgreSQL database ${what} (${code || message}); nothing of this call was written, try again`,
      options,
    );
  if (code === '53100') {
    return new StoreError(
      'exhausted',
      `the lead's PostgreSQL database is out of disk space (${code}): free space on its server; nothing of this call was written, and it can be made again`,
      options,
    );
  }
  if (
    code.startsWith('08') ||
    code.startsWith('57P') ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)
  ) {
    return unavailable('cannot be reached');
  }
  if (
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return unavailable('cannot be reached');
  }
  if (code === '53300' || code === '53200') return unavailable('has no room for this connection');
  if (code === '25006') return unavailable('is read-only here (a standby?)');
  if (code === '40001' || code === '40P01')
    return unavailable('gave up on a conflicting transaction');
  return err;
}
