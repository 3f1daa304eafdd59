import { Worker } from 'node:worker_threads';
import type { Logger } from '../log';
import { withIds } from '../log';
import type { FromWorker, ToWorker, WorkerStart } from './protocol';
import type { ContactLookup, ScriptInput, ScriptOutcome } from './types';
import { validateVerdict } from './verdict';

/** Bounds on what one decision may ask of the main thread. */
const MAX_LOOKUPS_PER_DECISION = 100;
const MAX_LOG_LINES_PER_DECISION = 50;
const MAX_LOG_MESSAGE_CHARS = 2000;

export interface SlotOptions {
  /** How the script is named in logs and counts. */
  name: string;
  file: string;
  worker: { file: string } | { problem: string };
  timeoutMs: number;
  memoryMb: number;
  logger: Logger;
  lookup: ContactLookup | null;
  /** Every outcome of a decision, once. */
  settled: (outcome: ScriptOutcome) => void;
  /** The worker is ready: the first time, after the file changed, or after the previous one ended. */
  loaded: (why: StartReason) => void;
  loadFailed: (detail: string) => void;
}

interface Job {
  id: number;
  input: ScriptInput;
  resolve: (outcome: ScriptOutcome) => void;
  timer: NodeJS.Timeout;
  lookups: number;
  logs: number;
  logger: Logger;
}

type State = 'none' | 'loading' | 'ready' | 'failed' | 'closed';

export type StartReason = 'load' | 'reload' | 'restart';

const READY_LINE: Record<StartReason, string> = { load: 'script loaded', reload: 'script reloaded', restart: 'script worker replaced' };

/**
 * One script's warm worker and the decisions waiting for it, answered one at a time in the
 * order asked. Each decision's time limit runs from when it was asked, so no caller waits past
 * it, whether the time went on its own decision or on those before it.
 */
export class ScriptSlot {
  private worker: Worker | null = null;
  private state: State = 'none';
  private loadFailure = '';
  private queue: Job[] = [];
  private running: Job | null = null;
  private nextId = 1;
  /** A reload arrived while a decision ran: the worker is replaced once it answers. */
  private replaceAfterRun = false;
  /** Why the worker being started was started: its readiness is logged and reported as such. */
  private reason: StartReason = 'load';
  private readonly log: Logger;

  constructor(private readonly opts: SlotOptions) {
    this.log = opts.logger.child({ script: opts.name });
  }

  decide(input: ScriptInput): Promise<ScriptOutcome> {
    return new Promise((resolve) => {
      if (this.state === 'closed') return resolve({ outcome: 'fallback', kind: 'closed', detail: 'the script runner is closed' });
      const id = this.nextId++;
      const call = input.call;
      const job: Job = {
        id,
        input,
        resolve,
        lookups: 0,
        logs: 0,
        logger: withIds(this.log, { callId: call?.id ?? null, queue: call?.queue ?? null, callbackId: input.callback?.id ?? null }),
        timer: setTimeout(() => this.timedOut(job), this.opts.timeoutMs),
      };
      this.queue.push(job);
      this.pump();
    });
  }

  /** Starts the worker now, so the first decision does not wait for it. */
  warm(): void {
    if (this.state === 'none') this.start('load');
  }

  /** The file changed: the next decision runs the new code. */
  reload(): void {
    if (this.state === 'closed') return;
    if (this.running) {
      this.replaceAfterRun = true;
      return;
    }
    this.stopWorker();
    this.start('reload');
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.state = 'closed';
    const jobs = this.running ? [this.running, ...this.queue] : [...this.queue];
    this.running = null;
    this.queue = [];
    for (const job of jobs) this.settle(job, { outcome: 'fallback', kind: 'closed', detail: 'the script runner closed before the script answered' });
    if (worker) await worker.terminate().catch(() => undefined);
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.state === 'failed') {
      for (const job of this.queue.splice(0)) this.settle(job, { outcome: 'fallback', kind: 'load', detail: this.loadFailure });
      return;
    }
    if (this.state === 'none') this.start('load');
    if (this.state !== 'ready' || !this.worker) return;
    const job = this.queue.shift()!;
    this.running = job;
    try {
      this.send({ type: 'decide', id: job.id, input: job.input });
    } catch (err) {
      this.finish(job, { outcome: 'fallback', kind: 'invalid', detail: `the context cannot be sent to the script: ${(err as Error).message}` });
    }
  }

  private start(reason: StartReason): void {
    if (this.worker || this.state === 'closed') return;
    const worker = this.opts.worker;
    if ('problem' in worker) return this.failed(worker.problem);
    this.state = 'loading';
    this.reason = reason;
    const start: WorkerStart = { file: this.opts.file };
    const young = Math.max(1, Math.min(16, Math.floor(this.opts.memoryMb / 4)));
    let w: Worker;
    try {
      w = new Worker(worker.file, {
        workerData: start,
        // A script gets no copy of the daemon's environment (tokens, passwords) and none of its flags.
        env: {},
        execArgv: [],
        resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb, maxYoungGenerationSizeMb: young },
      });
    } catch (err) {
      return this.failed(`the worker could not start: ${(err as Error).message}`);
    }
    this.worker = w;
    w.on('message', (message: FromWorker) => this.heard(w, message));
    w.on('error', (err: Error & { code?: string }) => this.died(w, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'threw', err.message));
    w.on('exit', (code) => this.died(w, 'threw', `the worker exited with code ${code}`));
    // An idle warm worker must not keep the process alive (a pending decision's timer does). After
    // the listeners: adding a 'message' listener refs the port again.
    w.unref();
  }

  private heard(w: Worker, message: FromWorker): void {
    if (w !== this.worker) return;
    const job = this.running;
    switch (message.type) {
      case 'ready':
        this.state = 'ready';
        this.log.info(READY_LINE[this.reason], { file: this.opts.file });
        this.opts.loaded(this.reason);
        return this.pump();
      case 'load-failed':
        return this.failed(message.detail);
      case 'result': {
        if (job?.id !== message.id) return;
        const check = validateVerdict(message.value);
        return this.finish(job, check.ok ? { outcome: 'verdict', verdict: check.verdict } : { outcome: 'fallback', kind: 'invalid', detail: check.problem });
      }
      case 'threw':
        if (job?.id === message.id) this.finish(job, { outcome: 'fallback', kind: 'threw', detail: message.detail });
        return;
      case 'unsendable':
        if (job?.id === message.id) this.finish(job, { outcome: 'fallback', kind: 'invalid', detail: message.detail });
        return;
      case 'lookup':
        return void this.answerLookup(w, job?.id === message.id ? job : null, message.lookupId, message.table, message.key);
      case 'log':
        return this.forwardLog(job?.id === message.id ? job : null, message.level, message.message, message.fields);
    }
  }

  private async answerLookup(w: Worker, job: Job | null, lookupId: number, table: string, key: string): Promise<void> {
    let reply: ToWorker;
    try {
      if (!job) throw new Error('the decision that asked has ended');
      job.lookups += 1;
      if (job.lookups > MAX_LOOKUPS_PER_DECISION) throw new Error(`more than ${MAX_LOOKUPS_PER_DECISION} lookups in one decision`);
      if (!this.opts.lookup) throw new Error('the daemon has no contact tables to look in');
      const row = await this.opts.lookup(table, key);
      reply = { type: 'lookup-result', lookupId, row: row ?? null };
    } catch (err) {
      reply = { type: 'lookup-failed', lookupId, detail: `contacts.lookup(${JSON.stringify(table)}) failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    // The worker was replaced (a timeout, a reload) while the daemon looked: nobody waits for the answer.
    if (w !== this.worker) return;
    try {
      w.postMessage(reply);
    } catch (err) {
      w.postMessage({ type: 'lookup-failed', lookupId, detail: `the row cannot be sent: ${(err as Error).message}` } satisfies ToWorker);
    }
  }

  private forwardLog(job: Job | null, level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
    const logger = job?.logger ?? this.log;
    if (job) {
      job.logs += 1;
      if (job.logs > MAX_LOG_LINES_PER_DECISION) {
        if (job.logs === MAX_LOG_LINES_PER_DECISION + 1) logger.warn(`script wrote more than ${MAX_LOG_LINES_PER_DECISION} lines in one decision; the rest are dropped`);
        return;
      }
    }
    // Nested, so a script's field cannot pass for one of the daemon's (callId, level, message).
    logger[level](message.slice(0, MAX_LOG_MESSAGE_CHARS), Object.keys(fields).length > 0 ? { fields } : {});
  }

  private timedOut(job: Job): void {
    if (job === this.running) {
      // The only way to stop a loop in another thread: end the thread, start a fresh one.
      this.replace(job, { outcome: 'fallback', kind: 'timeout', detail: `no answer within ${this.opts.timeoutMs} ms; the worker was ended` });
      return;
    }
    const at = this.queue.indexOf(job);
    if (at < 0) return;
    this.queue.splice(at, 1);
    const why = this.state === 'loading' ? "the script's worker was starting" : 'earlier decisions of this script were still running';
    this.settle(job, { outcome: 'fallback', kind: 'timeout', detail: `no answer within ${this.opts.timeoutMs} ms: it never started, ${why}` });
  }

  /** The worker ended by itself: out of memory, an error it could not catch, process.exit(). */
  private died(w: Worker, kind: 'memory' | 'threw', detail: string): void {
    if (w !== this.worker) return;
    const what = kind === 'memory' ? `out of memory (memoryMb ${this.opts.memoryMb}): ${detail}` : detail;
    if (this.state === 'loading') return this.failed(what);
    if (!this.running) {
      // Started again by the next decision, not now: a script that ends its thread on a timer would otherwise restart without end.
      this.log.warn('script worker ended between decisions', { detail: what });
      this.stopWorker();
      return;
    }
    this.replace(this.running, { outcome: 'fallback', kind, detail: what });
  }

  /** The worker is gone or must go: the decision it ran (if any) falls back, and a fresh worker starts. */
  private replace(job: Job | null, outcome: ScriptOutcome): void {
    const reason: StartReason = this.replaceAfterRun ? 'reload' : 'restart';
    this.replaceAfterRun = false;
    this.running = null;
    this.stopWorker();
    if (job) this.settle(job, outcome);
    this.start(reason);
    this.pump();
  }

  private failed(detail: string): void {
    this.stopWorker();
    this.state = 'failed';
    this.loadFailure = `the script could not be loaded: ${detail}`;
    this.log.error('script failed to load; the embedded decision is used until the file changes', { file: this.opts.file, detail });
    this.opts.loadFailed(this.loadFailure);
    this.pump();
  }

  private finish(job: Job, outcome: ScriptOutcome): void {
    if (this.running === job) this.running = null;
    this.settle(job, outcome);
    if (this.replaceAfterRun) {
      this.replaceAfterRun = false;
      this.stopWorker();
      this.start('reload');
    }
    this.pump();
  }

  private settle(job: Job, outcome: ScriptOutcome): void {
    clearTimeout(job.timer);
    if (outcome.outcome === 'fallback' && outcome.kind !== 'closed') {
      job.logger.warn('script fell back to the embedded decision', { kind: outcome.kind, detail: outcome.detail, trigger: job.input.trigger });
    }
    this.opts.settled(outcome);
    job.resolve(outcome);
  }

  private stopWorker(): void {
    const w = this.worker;
    this.worker = null;
    if (this.state !== 'closed') this.state = 'none';
    if (w) void w.terminate().catch(() => undefined);
  }

  private send(message: ToWorker): void {
    this.worker!.postMessage(message);
  }
}
