import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A private PostgreSQL cluster for tests, the crash storm and the benchmarks: one per process (mocha, a child),
 * started lazily on the first database asked for, in a temp directory of its own on a free port,
 * and removed when the process exits. Nothing is shared with the machine's own PostgreSQL, if any.
 */

const run = promisify(execFile);

const SUPERUSER = 'callbackd_test';

/** Who runs the cluster: PostgreSQL refuses to run as root, so root hands it to an unprivileged user. */
interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

interface Binaries {
  dir: string;
  initdb: string;
  pgCtl: string;
}

interface Cluster {
  dir: string;
  data: string;
  port: number;
  runAs: RunAs | null;
  binaries: Binaries;
  watchdog: ChildProcess | null;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function binariesIn(dir: string): Binaries | null {
  const initdb = path.join(dir, 'initdb');
  const pgCtl = path.join(dir, 'pg_ctl');
  return executable(initdb) && executable(pgCtl) && executable(path.join(dir, 'postgres')) ? { dir, initdb, pgCtl } : null;
}

/** pg_config's bindir, then Debian's versioned directories (newest first), then PATH (through symlinks). */
function findBinaries(): Binaries | null {
  const candidates: string[] = [];
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs.readdirSync(debian).filter((name) => /^\d+(\.\d+)?$/.test(name));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(debian, version, 'bin')));
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const initdb = path.join(dir, 'initdb');
    if (executable(initdb)) candidates.push(path.dirname(fs.realpathSync(initdb)));
  }
  for (const dir of candidates) {
    const found = binariesIn(dir);
    if (found) return found;
  }
  return null;
}

/** A system user from /etc/passwd (the Debian package creates `postgres`). */
function systemUser(name: string): RunAs | null {
  let passwd: string;
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && Number(uid) !== 0) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** null: run as ourselves. As root: `postgres`, else `nobody`; node sets the child's uid and gid itself, no su or runuser. */
function runAsUser(): RunAs | null | 'none' {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  return systemUser('postgres') ?? systemUser('nobody') ?? 'none';
}

/** Whether `user` can reach into `dir` (every ancestor searchable by others, or owned by the user). */
function reachable(dir: string, user: RunAs | null): boolean {
  if (!user) return true;
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const stat = fs.statSync(at);
    if (!(stat.mode & 0o001) && stat.uid !== user.uid) return false;
    if (path.dirname(at) === at) return true;
  }
}

export async function postgresAvailable(): Promise<string | null> {
  if (process.platform === 'win32') return 'the private PostgreSQL cluster is not supported on Windows';
  if (!findBinaries()) return 'no PostgreSQL server binaries (initdb, pg_ctl, postgres) found through pg_config, /usr/lib/postgresql/*/bin or PATH';
  if (runAsUser() === 'none') return 'running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as';
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The child environment: the caller's, without PG* variables that would point initdb or pg_ctl elsewhere. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C' };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG') && key !== 'LC_ALL') env[key] = value;
  return env;
}

function asUser(runAs: RunAs | null, cwd: string) {
  return { cwd, env: childEnv(), ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) };
}

function quoted(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Settings for speed (a test cluster never needs to survive a power cut) and isolation (no shared socket directory, loopback only). */
function settings(dir: string, port: number): string {
  return [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = ${quoted(dir)}`,
    'max_connections = 200',
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    // Containers give /dev/shm 64 MB; parallel query workers would need more than that.
    'max_parallel_workers_per_gather = 0',
    '',
  ].join('\n');
}

/** A directory the cluster's user owns, under a temp root it can reach. */
function clusterDir(runAs: RunAs | null): string {
  const root = reachable(os.tmpdir(), runAs) ? os.tmpdir() : '/tmp';
  const dir = fs.mkdtempSync(path.join(root, 'callbackd-pg-'));
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

/**
 * Stops the cluster and removes its directory if this process dies without running its exit
 * handlers (SIGKILL, a parallel worker terminated). It runs as the cluster's user, so it watches
 * /proc rather than kill -0, which it would not be allowed to send to root's process.
 */
const WATCHDOG = `
while [ -d "/proc/$1" ] || kill -0 "$1" 2>/dev/null; do sleep 1; done
"$2" -D "$3" -m immediate stop >/dev/null 2>&1
rm -rf "$4"`;

function startWatchdog(cluster: Omit<Cluster, 'watchdog'>): ChildProcess {
  const args = ['-c', WATCHDOG, 'callbackd-pg-watchdog', String(process.pid), cluster.binaries.pgCtl, cluster.data, cluster.dir];
  const watchdog = spawn('/bin/sh', args, { ...asUser(cluster.runAs, cluster.dir), detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}

function stopCluster(cluster: Cluster): void {
  if (cluster.watchdog?.pid) {
    try {
      process.kill(cluster.watchdog.pid);
    } catch {
      // already gone
    }
  }
  spawnSync(cluster.binaries.pgCtl, ['-D', cluster.data, '-m', 'immediate', 'stop'], { ...asUser(cluster.runAs, cluster.dir), stdio: 'ignore' });
  fs.rmSync(cluster.dir, { recursive: true, force: true });
}

async function startCluster(): Promise<Cluster> {
  const reason = await postgresAvailable();
  if (reason) throw new Error(`cannot start a PostgreSQL cluster for tests: ${reason}`);
  const binaries = findBinaries() as Binaries;
  const runAs = runAsUser() as RunAs | null;
  const dir = clusterDir(runAs);
  const data = path.join(dir, 'data');
  const options = asUser(runAs, dir);
  try {
    await run(binaries.initdb, ['-D', data, '-A', 'trust', '-U', SUPERUSER, '--no-sync', '-E', 'UTF8', '--locale=C'], options);
    // Another process may take the free port between our look and the server's bind: try a few.
    for (let tries = 1; ; tries++) {
      const port = await freePort();
      fs.writeFileSync(path.join(data, 'postgresql.auto.conf'), settings(dir, port));
      try {
        await run(binaries.pgCtl, ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start'], options);
        const cluster: Cluster = { dir, data, port, runAs, binaries, watchdog: null };
        cluster.watchdog = startWatchdog(cluster);
        process.on('exit', () => stopCluster(cluster));
        return cluster;
      } catch (err) {
        if (tries >= 3) throw new Error(`${(err as Error).message}\n${serverLog(dir)}`);
      }
    }
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function serverLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'server.log'), 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no server log)';
  }
}

let started: Promise<Cluster> | null = null;

function cluster(): Promise<Cluster> {
  return (started ??= startCluster());
}

function urlOf(port: number, database: string): string {
  return `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
}

async function asAdmin<T>(port: number, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlOf(port, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database in this process's private cluster (started on first use). `drop`
 * removes it, ending any connection a test left open.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { port } = await cluster();
  // The name is ours, [a-z0-9_] only: CREATE DATABASE takes no parameters.
  const name = `t_${randomBytes(8).toString('hex')}`;
  await asAdmin(port, (client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: urlOf(port, name),
    drop: () => asAdmin(port, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Where this process's cluster runs (starting it if needed): for tests that look at the cluster itself. */
export async function postgresCluster(): Promise<{ port: number; dir: string; user: string }> {
  const { port, dir, runAs } = await cluster();
  return { port, dir, user: runAs?.name ?? os.userInfo().username };
}
