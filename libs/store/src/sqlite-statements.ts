// Prepared statements by their SQL text: preparing costs more than running, and the store
// runs the same few dozen statements over and over. Storage faults come out as StoreErrors.
import type { Database, Statement } from 'better-sqlite3';
import { guarded } from './sqlite-faults.js';
import { notFound } from './store.js';

export class Statements {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  get(sql: string): Statement {
    if (!this.db.open) throw new Error('the store was closed; open it again before using it');
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = guarded(() => this.db.prepare(sql));
      this.cache.set(sql, statement);
    }
    return statement;
  }

  /** The first row, or undefined. */
  one<Row>(sql: string, ...params: unknown[]): Row | undefined {
    return guarded(() => this.get(sql).get(...params)) as Row | undefined;
  }

  all<Row>(sql: string, ...params: unknown[]): Row[] {
    return guarded(() => this.get(sql).all(...params)) as Row[];
  }

  /** Number of rows changed. */
  run(sql: string, ...params: unknown[]): number {
    return guarded(() => this.get(sql).run(...params).changes);
  }

  transaction<T>(work: () => T): T {
    return guarded(() => this.db.transaction(work)());
  }
}

export function requireProject(sql: Statements, projectId: string): void {
  if (!sql.one('SELECT 1 FROM projects WHERE id = ?', projectId)) {
    throw notFound('project', projectId);
  }
}
