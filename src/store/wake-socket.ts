import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * How a command-line process tells the daemon on the same SQLite file that work arrived (a
 * callback created or made due, one cancelled): a line on a Unix socket beside the file. A file
 * has no NOTIFY; without this the daemon would only notice at its next poll.
 */

/** sun_path holds 108 bytes on Linux, 104 on macOS; beside the file only when it fits with room kept. */
const MAX_SOCKET_PATH_BYTES = 100;

/** A daemon that does not accept within this long is stuck; the write is committed, so the command does not wait for it. */
const SEND_TIMEOUT_MS = 1000;

/** A peer that sends this much without a newline is not one of ours. */
const MAX_LINE_BYTES = 1024;

/** No daemon listens: nothing to wake, and nothing to say about it. */
const NOBODY_LISTENS = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** The socket of the daemon on `file` (an absolute path): `<file>.wake`, or a name in the temp dir derived from the path when that is too long. */
export function wakeSocketPath(file: string): string {
  const beside = `${file}.wake`;
  if (Buffer.byteLength(beside) <= MAX_SOCKET_PATH_BYTES) return beside;
  const digest = crypto.createHash('sha256').update(file).digest('hex');
  return path.join(os.tmpdir(), `callbackd-${digest.slice(0, 16)}.wake`);
}

/**
 * Write one line to the daemon listening on `socketPath`. Resolves once it is written, or at once
 * when no daemon runs. Never rejects: the change it announces is committed already, and a
 * daemon that did not hear finds the work at its next poll.
 */
export function sendWake(socketPath: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, SEND_TIMEOUT_MS);
    socket.once('error', (err) => {
      if (!NOBODY_LISTENS.has(errorCode(err) ?? '')) process.emitWarning(`could not wake the callbackd daemon at ${socketPath}: ${err.message}`);
      done();
    });
    socket.once('connect', () => socket.end('work\n', done));
  });
}

function listenOn(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => {
      server.off('listening', listening);
      reject(err);
    };
    const listening = () => {
      server.off('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(socketPath);
  });
}

/** Whether a live process accepts connections on `socketPath`. */
function someoneListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The daemon's end: each line received means work may have arrived. */
export class WakeSocket {
  private server: net.Server | null = null;
  private readonly peers = new Set<net.Socket>();

  constructor(
    readonly socketPath: string,
    private readonly onWake: () => void,
  ) {}

  /**
   * Listen on the socket. A socket file left by a daemon that was killed (nobody accepts on it)
   * is replaced; one a live daemon accepts on is refused, as is a path that is not a socket.
   */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((peer) => this.serve(peer));
    try {
      await listenOn(server, this.socketPath);
    } catch (err) {
      if (errorCode(err) !== 'EADDRINUSE') throw err;
      if (await someoneListens(this.socketPath)) {
        throw new Error(`another callbackd daemon already listens on ${this.socketPath} for this database: stop it first, or give this one its own database`);
      }
      if (!fs.lstatSync(this.socketPath, { throwIfNoEntry: false })?.isSocket()) {
        throw new Error(`cannot listen on ${this.socketPath}: a file that is not a socket is in the way; remove it`);
      }
      fs.unlinkSync(this.socketPath);
      await listenOn(server, this.socketPath);
    }
    // The socket alone does not keep a process alive: the daemon's own work does.
    server.unref();
    this.server = server;
  }

  /** Stop listening; Node removes the socket file as the server closes. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // close() waits for open connections; a writer that never hangs up must not hold the daemon's stop.
    for (const peer of this.peers) peer.destroy();
    await closed;
  }

  private serve(peer: net.Socket): void {
    let pending = '';
    this.peers.add(peer);
    peer.once('close', () => this.peers.delete(peer));
    peer.setEncoding('utf8');
    peer.on('error', () => peer.destroy());
    peer.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        pending = pending.slice(end + 1);
        this.onWake();
      }
      if (pending.length > MAX_LINE_BYTES) peer.destroy();
    });
  }
}
