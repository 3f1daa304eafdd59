// The private PostgreSQL cluster lives with the tools (the crash storm and the benchmarks use it too).
export { freshPostgresDatabase, postgresAvailable, postgresCluster } from '../../src/tools/private-postgres';
