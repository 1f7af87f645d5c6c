import { create } from '@bufbuild/protobuf';
import { ProgressUpdateSchema } from '@codeframe/proto';
import { postgresUnavailable, startTestPostgres, type TestPostgres } from '@codeframe/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_MIGRATIONS } from './pg-schema.js';
import { openPgStore } from './pg-store.js';
import { describeStoreContract } from './store.contract.js';
import { type Store, StoreError } from './store.js';

// Each store gets a schema of its own on one server: a throwaway cluster the tests start, or
// the server of CODEFRAME_TEST_DATABASE_URL.
const unavailable = postgresUnavailable();

let server: TestPostgres;
let admin: pg.Client;

const freshSchema = () => server.newSchema();
/** The schema a URL of newSchema() puts first on the search path. */
const schemaOf = (url: string) => new URL(url).searchParams.get('options')!.split('=')[1]!;

const progress = (total: number) =>
  ({ case: 'progressUpdate', value: create(ProgressUpdateSchema, { total }) }) as const;

if (unavailable) {
  describe('Store contract (postgresql)', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  beforeAll(async () => {
    server = await startTestPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  describeStoreContract('postgresql', async () => openPgStore(await freshSchema()));
  // As a lead that shares the database: every write checks the lease of the project it
  // created, and the contract holds just the same.
  describeStoreContract('postgresql, with leases', async () =>
    openPgStore(await freshSchema(), { lease: { holder: 'lead-a', url: '', ttlMs: 60_000 } }),
  );

  describe('the PostgreSQL store', () => {
    it('gives two writers on one database gap-free, unique seqs, each in its call order', async () => {
      const url = await freshSchema();
      const [a, b] = await Promise.all([openPgStore(url), openPgStore(url)]);
      try {
        const { id } = await a.createProject({
          name: 'shared',
          prd: '',
          repoUrl: 'file:///tmp/shared.git',
          budgetUsd: 0,
          maxConcurrency: 1,
        });
        const perWriter = 300;
        const appends = (store: Store, from: number) =>
          Array.from({ length: perWriter }, (_, i) => store.appendEvent(id, progress(from + i)));
        // Interleaved: each writer's batches race the other's for the project's row.
        const [fromA, fromB] = await Promise.all([
          Promise.all(appends(a, 0)),
          Promise.all(appends(b, 1_000)),
        ]);
        const seqs = (events: { seq: bigint }[]) => events.map((event) => event.seq);
        for (const mine of [fromA, fromB]) {
          expect(seqs(mine)).toEqual([...seqs(mine)].sort((x, y) => (x < y ? -1 : 1)));
        }
        const all = [...seqs(fromA), ...seqs(fromB)].sort((x, y) => (x < y ? -1 : 1));
        expect(all).toEqual(Array.from({ length: 2 * perWriter }, (_, i) => BigInt(i + 1)));
        const stored = await b.readEvents(id, 0n, 10_000);
        expect(seqs(stored)).toEqual(all);
        expect(await a.lastSeq(id)).toBe(BigInt(2 * perWriter));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('brings a fresh database up once when two leads open it at the same time', async () => {
      const url = await freshSchema();
      const stores = await Promise.all([openPgStore(url), openPgStore(url), openPgStore(url)]);
      await Promise.all(stores.map((store) => store.close()));
      const schema = schemaOf(url);
      const { rows } = await admin.query(`SELECT version FROM ${schema}.codeframe_schema`);
      expect(rows).toEqual([{ version: PG_MIGRATIONS.length }]);
    });

    it('refuses a database a newer CodeFRAME wrote, saying what to do', async () => {
      const url = await freshSchema();
      await (await openPgStore(url)).close();
      const schema = schemaOf(url);
      await admin.query(`UPDATE ${schema}.codeframe_schema SET version = 99`);
      const err = await openPgStore(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('invalid');
      expect((err as Error).message).toMatch(/schema version 99.*newer CodeFRAME.*Upgrade/);
    });

    it('answers unavailable, naming the fault, when the server cannot be reached', async () => {
      const err = await openPgStore('postgres://nobody:secret@127.0.0.1:1/none').catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('unavailable');
      expect((err as Error).message).toMatch(/cannot be reached \(ECONNREFUSED\).*try again/);
      expect((err as Error).message).not.toContain('secret');
    });

    it('carries on when the server drops its connections', async () => {
      const url = await freshSchema();
      const store = await openPgStore(url);
      try {
        const { id } = await store.createProject({
          name: 'dropped',
          prd: '',
          repoUrl: 'file:///tmp/dropped.git',
          budgetUsd: 0,
          maxConcurrency: 1,
        });
        await store.appendEvent(id, progress(1));
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND backend_type = 'client backend'`,
        );
        // The pool notices the dropped connections and opens new ones.
        let event = await store.appendEvent(id, progress(2)).catch((err: StoreError) => {
          expect(err.code).toBe('unavailable'); // a dropped connection, found by this call
          return undefined;
        });
        event ??= await store.appendEvent(id, progress(2));
        expect(event.seq).toBe(2n);
      } finally {
        await store.close();
      }
    });
  });
}
