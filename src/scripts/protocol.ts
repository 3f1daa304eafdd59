import type { ScriptInput } from './types';

/** What the worker is started with. */
export interface WorkerStart {
  /** Absolute path of the script module. */
  file: string;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'decide'; id: number; input: ScriptInput }
  | { type: 'lookup-result'; lookupId: number; row: Record<string, string> | null }
  | { type: 'lookup-failed'; lookupId: number; detail: string };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-failed'; detail: string }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'threw'; id: number; detail: string }
  /** The answer could not cross the thread boundary (a function, a symbol in it). */
  | { type: 'unsendable'; id: number; detail: string }
  | { type: 'lookup'; id: number; lookupId: number; table: string; key: string }
  | { type: 'log'; id: number | null; level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> };
