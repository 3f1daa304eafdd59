import type { Callback } from '../domain/types';
import type { ServiceContext } from './context';
import { optionalText, requiredText } from './input';

export interface CancelInput {
  id: string;
  reason?: string | null;
  by: string;
}

/**
 * Scheduled callbacks only: one being dialled is refused (ConflictError) until its attempt ends,
 * since cancelling would not stop a call already ringing. Recorded as a Note {cancelledBy, reason}
 * with the transition to Cancelled; a held place's placeholder is let go by the daemon.
 */
export async function cancelCallback(ctx: ServiceContext, input: CancelInput): Promise<Callback> {
  const id = requiredText(input.id, 'id');
  const by = requiredText(input.by, 'by', 100);
  const reason = optionalText(input.reason, 'reason', 500) ?? `cancelled by ${by}`;
  return ctx.callbacks.cancel(id, by, reason);
}
