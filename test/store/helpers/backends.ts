import path from 'node:path';
import type { CallbackStore } from '../../../src/domain/store';
import { type StoreConfig, openStore } from '../../../src/store/open';
import { freshPostgresDatabase, postgresAvailable } from '../../helpers/postgres';
import { cleanup, tempDir } from './fixtures';

export interface OpenedStore {
  store: CallbackStore;
  /** What a child process passes to openStore to reach the same store. */
  config: StoreConfig;
  /** Closes the store and removes what it left (the temp dir, the database). */
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** null when the backend can be tested here; otherwise why not. */
  available(): Promise<string | null>;
  open(): Promise<OpenedStore>;
}

const sqlite: Backend = {
  name: 'sqlite',
  available: async () => null,
  async open() {
    const dir = tempDir();
    const config: StoreConfig = { store: 'sqlite', db: path.join(dir, 'callbackd.db'), storeUrl: '' };
    const store = await openStore(config);
    return {
      store,
      config,
      async cleanup() {
        await store.close();
        cleanup(dir);
      },
    };
  },
};

/** test/helpers/postgres.ts starts one private cluster per test process, and makes a database per call. */
const postgres: Backend = {
  name: 'postgres',
  available: postgresAvailable,
  async open() {
    const database = await freshPostgresDatabase();
    const config: StoreConfig = { store: 'postgres', db: '', storeUrl: database.url };
    const store = await openStore(config);
    return {
      store,
      config,
      async cleanup() {
        await store.close();
        await database.drop();
      },
    };
  },
};

/** CALLBACKD_TEST_BACKENDS=sqlite (comma-separated names) runs only those. */
function chosen(all: Backend[]): Backend[] {
  const wanted = process.env.CALLBACKD_TEST_BACKENDS?.split(',').map((name) => name.trim()).filter(Boolean);
  if (!wanted || wanted.length === 0) return all;
  for (const name of wanted) if (!all.some((b) => b.name === name)) throw new Error(`CALLBACKD_TEST_BACKENDS names an unknown backend: ${name}`);
  return all.filter((b) => wanted.includes(b.name));
}

export const BACKENDS: Backend[] = chosen([sqlite, postgres]);
