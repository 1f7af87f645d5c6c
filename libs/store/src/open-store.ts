// Which store a lead keeps its state in: PostgreSQL when CODEFRAME_DATABASE_URL is set (so
// several leads can share it), else SQLite in the lead's data directory.
import { resolve } from 'node:path';
import { ConfigError, type Setting } from '@codeframe/runtime';
import { openPgStore, type PgStoreOptions, redacted } from './pg-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

const DATABASE_URL = 'CODEFRAME_DATABASE_URL';

/** CODEFRAME_DATABASE_URL, checked without ever echoing it (it may hold a password). */
export const databaseUrlSetting: Setting<string | undefined> = {
  variable: DATABASE_URL,
  read(raw) {
    const value = raw?.trim();
    if (!value) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(
        DATABASE_URL,
        `${DATABASE_URL} is not a URL (expected postgres://user:password@host:5432/database)`,
      );
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new ConfigError(
        DATABASE_URL,
        `${DATABASE_URL} must be a postgres:// URL, not ${url.protocol}//…; unset it to keep the state in SQLite in CODEFRAME_DATA_DIR`,
      );
    }
    return value;
  },
};

/** The store, and where it is (a file, or the database URL without its password). */
export async function openStore(
  databaseUrl: string | undefined,
  dataDir: string,
  options: PgStoreOptions = {},
): Promise<{ store: Store; location: string }> {
  if (databaseUrl)
    return { store: await openPgStore(databaseUrl, options), location: redacted(databaseUrl) };
  const file = resolve(dataDir, 'lead.sqlite');
  return { store: await openSqliteStore(file), location: file };
}
