/**
 * A second process for the PostgreSQL tests: `migrate URL` migrates, prints what it applied, then
 * opens a store on the result; `cluster` starts this process's own private cluster and prints where it runs,
 * then waits for stdin to close.
 */
import { PostgresStore } from '../../src/store/postgres/postgres-store';
import { migrate } from '../../src/store/postgres/migrate';
import { freshPostgresDatabase, postgresCluster } from '../helpers/postgres';
import pg from 'pg';

async function main(): Promise<void> {
  const [mode, url] = process.argv.slice(2);
  if (mode === 'migrate') {
    const pool = new pg.Pool({ connectionString: url });
    const applied = await migrate(pool);
    await pool.end();
    const store = await PostgresStore.open(url);
    await store.close();
    console.log(JSON.stringify({ applied }));
    return;
  }
  if (mode === 'cluster') {
    const database = await freshPostgresDatabase();
    console.log(JSON.stringify({ ...(await postgresCluster()), url: database.url }));
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on('end', resolve));
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
