import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './domain/errors';

/**
 * log.file cannot be written. Thrown by createLogger before anything starts, so the command stops
 * with one line naming the key and the path (and exits 78, as for any bad configuration).
 */
export class LogFileError extends ConfigError {
  constructor(
    readonly file: string,
    reason: string,
    hint = "set log.file to a file callbackd may write, or to '' for stdout",
  ) {
    super('log.file', `cannot write ${file}: ${reason}`);
    this.message = `log.file (CALLBACKD_LOG_FILE): cannot write ${file}: ${reason} (${hint})`;
  }
}

/** "EACCES: permission denied, open '/x'" -> "EACCES: permission denied": the path is said once, by the caller. */
function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e.message !== 'string') return String(err);
  return e.message.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
}

/**
 * Makes sure `file` can be appended to: missing directories are created one by one (never with
 * a recursive mkdir, which loops forever under /proc in Node 20), and the file is opened for
 * appending once. Returns the absolute path, or throws LogFileError saying why not.
 */
export function prepareLogFile(file: string): string {
  const target = path.resolve(file);
  try {
    const stat = fs.statSync(target, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw new LogFileError(target, 'it is a directory', `name a file in it, e.g. ${path.join(target, 'callbackd.log')}`);
    if (!stat) makeParents(path.dirname(target), target);
    fs.closeSync(fs.openSync(target, 'a'));
    return target;
  } catch (err) {
    if (err instanceof LogFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTDIR') throw new LogFileError(target, `${nearestNonDirectory(target) ?? 'a part of the path'} is not a directory`);
    throw new LogFileError(target, reasonOf(err));
  }
}

function makeParents(dir: string, target: string): void {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const stat = fs.statSync(at, { throwIfNoEntry: false });
    if (stat) {
      if (!stat.isDirectory()) throw new LogFileError(target, `${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LogFileError(target, `cannot create the directory ${d}: ${reasonOf(err)}`);
    }
  }
}

/** The first component of `target`'s path that exists and is not a directory. */
function nearestNonDirectory(target: string): string | null {
  const parts = target.split(path.sep).filter(Boolean);
  let at = path.parse(target).root;
  for (const part of parts) {
    at = path.join(at, part);
    try {
      if (!fs.statSync(at).isDirectory()) return at;
    } catch {
      return null;
    }
  }
  return null;
}
