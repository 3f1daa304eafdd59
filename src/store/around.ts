import { TERMINAL_STATUSES } from '../domain/types';

const TERMINAL = [...TERMINAL_STATUSES].map((status) => `'${status}'`).join(', ');

/**
 * callbacksAround, both backends: the callbacks of a PBX created before the period's end, and
 * either created in the day before its start or later (the daily caps look back that far), or
 * still open at its start (not terminal, or turned terminal, their last change, at or after it).
 * $1 pbx, $2 from, $3 to, $4 the day before from.
 */
export const AROUND_SQL = `
SELECT * FROM callbacks
 WHERE pbx = $1 AND created_at < $3
   AND (created_at >= $4 OR status NOT IN (${TERMINAL}) OR updated_at >= $2)
 ORDER BY created_at, id`;
