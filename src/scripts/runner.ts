import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import { hasScriptExtension, workerFile } from './paths';
import { ScriptSlot, type StartReason } from './slot';
import { FALLBACK_KINDS, type ContactLookup, type FallbackKind, type ScriptInput, type ScriptOutcome } from './types';

export interface ScriptRunnerOptions {
  /** Relative script paths are read from here (the configuration file's directory); scripts inside it are named relative to it. */
  dir?: string;
  /** A decision not answered within this time, counted from when it was asked, falls back ('timeout'). Default 1000. */
  timeoutMs?: number;
  /** The script's heap; a script that needs more is ended ('memory'). Default 64. */
  memoryMb?: number;
  logger: Logger;
  /** Answers a script's contacts.lookup; without it, every lookup rejects. */
  lookup?: ContactLookup;
  /** Called on every fallback (not on 'closed'), for metrics: callbackd_script_fallbacks_total{script,kind}. */
  onFallback?: (script: string, kind: FallbackKind, detail: string) => void;
  /** Replace a script's worker when its file changes. Default true. */
  watch?: boolean;
  /** How often a script file is checked for a change. Default 1000. */
  watchIntervalMs?: number;
  /** A change waits this long for the writes after it (an editor saving in steps) before the reload. Default 200. */
  debounceMs?: number;
}

/** What a runner tells those who listen: tests wait on these instead of sleeping. */
export interface ScriptRunnerEvents {
  /** A worker is ready for the script: first load, reload after a change, or a replacement after one ended. */
  loaded: [script: string, why: StartReason];
  loadFailed: [script: string, detail: string];
  fallback: [script: string, kind: FallbackKind, detail: string];
  /** A change of the script's file was seen; its worker is being replaced. */
  changed: [script: string];
}

interface Watched {
  slot: ScriptSlot;
  name: string;
  stopWatching: () => void;
}

/**
 * Runs decision scripts off the main thread: one warm worker per script, decisions for one
 * script answered one at a time in the order asked, each within timeoutMs of being asked.
 * decide() never throws and never rejects: whatever goes wrong is a fallback to the embedded
 * decision, counted per script and kind.
 */
export class ScriptRunner extends EventEmitter<ScriptRunnerEvents> {
  private readonly slots = new Map<string, Watched>();
  private readonly counts = new Map<string, Record<FallbackKind, number>>();
  private readonly worker = workerFile();
  private readonly timeoutMs: number;
  private readonly memoryMb: number;
  private closed = false;

  constructor(private readonly opts: ScriptRunnerOptions) {
    super();
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.memoryMb = opts.memoryMb ?? 64;
  }

  /** The decision of the script at `script` (absolute, or relative to `dir`) on `input`. */
  async decide(script: string, input: ScriptInput): Promise<ScriptOutcome> {
    if (this.closed) return { outcome: 'fallback', kind: 'closed', detail: 'the script runner is closed' };
    try {
      return await this.slotFor(script).slot.decide(input);
    } catch (err) {
      // A fault of the runner itself must not become the caller's: the embedded decision stands.
      return { outcome: 'fallback', kind: 'threw', detail: `the script runner failed: ${(err as Error).message}` };
    }
  }

  /** Starts the workers of these scripts now (at daemon start), so load problems are logged then and the first decisions are quick. */
  prepare(scripts: readonly string[]): void {
    if (this.closed) return;
    for (const script of scripts) this.slotFor(script).slot.warm();
  }

  /** How the runner names a script in logs, events and counts. */
  nameOf(script: string): string {
    const file = this.fileOf(script);
    if (this.opts.dir === undefined) return file;
    const relative = path.relative(path.resolve(this.opts.dir), file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
  }

  /** Fallbacks so far, per script (as nameOf names it) and kind; every kind present, zeros included. */
  fallbacks(): Record<string, Record<FallbackKind, number>> {
    const out: Record<string, Record<FallbackKind, number>> = {};
    for (const [name, counts] of this.counts) out[name] = { ...counts };
    return out;
  }

  /** Ends every worker and watcher; decisions still waiting fall back as 'closed'. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const s of slots) s.stopWatching();
    await Promise.all(slots.map((s) => s.slot.close()));
  }

  private fileOf(script: string): string {
    return path.resolve(this.opts.dir ?? process.cwd(), script);
  }

  private slotFor(script: string): Watched {
    const file = this.fileOf(script);
    const known = this.slots.get(file);
    if (known) return known;
    const name = this.nameOf(script);
    this.counts.set(name, Object.fromEntries(FALLBACK_KINDS.map((k) => [k, 0])) as Record<FallbackKind, number>);
    const slot = new ScriptSlot({
      name,
      file,
      worker: hasScriptExtension(file) ? this.worker : { problem: `${file} is not a JavaScript module (a script ends in .js or .cjs)` },
      timeoutMs: this.timeoutMs,
      memoryMb: this.memoryMb,
      logger: this.opts.logger,
      lookup: this.opts.lookup ?? null,
      settled: (outcome) => this.settled(name, outcome),
      loaded: (why) => this.emit('loaded', name, why),
      loadFailed: (detail) => this.emit('loadFailed', name, detail),
    });
    const watched: Watched = { slot, name, stopWatching: this.opts.watch === false ? () => undefined : this.watch(file, name, slot) };
    this.slots.set(file, watched);
    return watched;
  }

  private settled(name: string, outcome: ScriptOutcome): void {
    if (outcome.outcome !== 'fallback' || outcome.kind === 'closed') return;
    const { kind, detail } = outcome;
    const counts = this.counts.get(name);
    if (counts) counts[kind] += 1;
    try {
      this.opts.onFallback?.(name, kind, detail);
      this.emit('fallback', name, kind, detail);
    } catch (err) {
      this.opts.logger.error('a listener of script fallbacks failed', { script: name, error: (err as Error).message });
    }
  }

  /**
   * Polls the file's stat rather than using fs.watch: editors save by renaming a new file over
   * the old one, which ends an fs.watch, and a file that does not exist yet can still be polled.
   */
  private watch(file: string, name: string, slot: ScriptSlot): () => void {
    let pending: NodeJS.Timeout | null = null;
    const listener = (curr: fs.Stats, prev: fs.Stats) => {
      if (curr.mtimeMs === prev.mtimeMs && curr.ctimeMs === prev.ctimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
      if (pending) clearTimeout(pending);
      pending = setTimeout(() => {
        pending = null;
        if (this.closed) return;
        this.opts.logger.info('script file changed; reloading', { script: name, file });
        this.emit('changed', name);
        slot.reload();
      }, this.opts.debounceMs ?? 200);
      pending.unref();
    };
    fs.watchFile(file, { interval: this.opts.watchIntervalMs ?? 1000, persistent: false }, listener);
    return () => {
      if (pending) clearTimeout(pending);
      fs.unwatchFile(file, listener);
    };
  }
}
