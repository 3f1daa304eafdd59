import { IdempotencyMismatchError } from '../domain/errors';
import type { KeptRequest, RequestKey } from '../domain/store';
import type { Callback } from '../domain/types';
import type { ServiceContext } from './context';
import type { CreatedCallback } from './create-callback';

const MINUTE = 60_000;

/**
 * What a creating request remembers with its key beyond the callback: the due time it asked for
 * when a calling window could move it (null: none could), so a repeat tells "moved from" as the
 * first answer did.
 */
export interface CreationMemo {
  askedInWindow: number | null;
}

/** The due time asked for, when the calling window moved it to its next opening; null when not moved. */
export function movedFrom(callback: Callback, merged: boolean, memo: CreationMemo): number | null {
  const asked = memo.askedInWindow;
  // A minute's slack: a due time is shown to the minute, and the clock moved while writing.
  return !merged && asked !== null && callback.dueAt !== null && callback.dueAt - asked > MINUTE ? asked : null;
}

export function createdOf(kept: KeptRequest): CreatedCallback {
  const memo = { askedInWindow: typeof kept.memo.askedInWindow === 'number' ? kept.memo.askedInWindow : null };
  return { callback: kept.callback, merged: kept.merged, movedFrom: movedFrom(kept.callback, kept.merged, memo), repeated: true };
}

/**
 * A request whose key was kept already gets its first result back before it is checked again:
 * what it asked for may no longer be possible (the call it came from was served since), and yet
 * it was carried out. A key reused for another request is refused. Null: a new key, or none.
 * (The store checks again inside the creation's transaction, for two requests at once.)
 */
export async function repeatedRequest(ctx: ServiceContext, key: RequestKey | undefined): Promise<CreatedCallback | null> {
  if (!key) return null;
  const kept = await ctx.store.keptRequest(key.key);
  if (!kept) return null;
  if (kept.fingerprint !== key.fingerprint) throw new IdempotencyMismatchError();
  return createdOf(kept);
}
