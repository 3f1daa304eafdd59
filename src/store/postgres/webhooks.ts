import type {
  DeliveryAttempt,
  DeliveryClaim,
  DeliveryFilter,
  DeliveryNext,
  DeliveryPolicy,
  NewDelivery,
  NewDeliveryAttempt,
  Page,
  WebhookDelivery,
} from '../../domain/store';
import { decodeCursor, encodeCursor } from '../cursor';
import { type DeliveryAttemptRow, type DeliveryRow, toDelivery, toDeliveryAttempt } from '../webhooks';
import type { Queryable } from './connection';

/** As SQLite's, but policy comes back parsed (JSONB). */
type PgDeliveryRow = Omit<DeliveryRow, 'policy'> & { policy: DeliveryPolicy };

const COLUMNS =
  'id, webhook, url, secret, event, body, policy, status, due_at, attempts, round, last_status_code, last_error, created_at, updated_at, claim_owner, claim_until';

export async function addDelivery(db: Queryable, d: NewDelivery): Promise<WebhookDelivery> {
  const result = await db.query<PgDeliveryRow>(
    `INSERT INTO webhook_deliveries (${COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'pending', $8, 0, 0, NULL, NULL, $9, $9, NULL, NULL)
     ON CONFLICT (id) DO NOTHING
     RETURNING *`,
    [d.id, d.webhook, d.url, d.secret, d.event, d.body, JSON.stringify(d.policy), d.dueAt, d.createdAt],
  );
  if (result.rows[0]) return toDelivery(result.rows[0]);
  // Enqueued before under this id (by this daemon or another): the first one stands.
  const kept = await getDelivery(db, d.id);
  if (!kept) throw new Error(`webhook delivery ${d.id} was neither written nor found`);
  return kept;
}

/**
 * One statement: the due rows are locked as they are read, and rows another daemon is claiming at
 * this moment are skipped rather than waited for (SKIP LOCKED), so daemons sharing the database
 * share the due deliveries without ever both taking one. A row claimed and committed meanwhile is
 * read again once its lock is free, and its new lease keeps it out.
 */
export async function claimDueDeliveries(db: Queryable, claim: DeliveryClaim): Promise<WebhookDelivery[]> {
  const result = await db.query<PgDeliveryRow>(
    `UPDATE webhook_deliveries d SET claim_owner = $1, claim_until = $2
       FROM (SELECT id FROM webhook_deliveries
              WHERE status = 'pending' AND due_at <= $3 AND (claim_until IS NULL OR claim_until <= $3)
              ORDER BY due_at, id
              LIMIT $4
              FOR UPDATE SKIP LOCKED) AS due
      WHERE d.id = due.id
     RETURNING d.*`,
    [claim.owner, claim.now + claim.leaseMs, claim.now, Math.max(1, Math.trunc(claim.limit))],
  );
  return result.rows.map(toDelivery).sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0) || (a.id < b.id ? -1 : 1));
}

export async function nextDeliveryAt(db: Queryable): Promise<number | null> {
  const result = await db.query<{ at: number | null }>(
    "SELECT min(GREATEST(due_at, coalesce(claim_until, due_at))) AS at FROM webhook_deliveries WHERE status = 'pending'",
  );
  return result.rows[0]?.at ?? null;
}

/** The delivery's change and its attempt in one statement (one implicit transaction): both or neither. */
export async function recordDeliveryAttempt(db: Queryable, owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext): Promise<boolean> {
  const result = await db.query(
    `WITH counted AS (
       UPDATE webhook_deliveries
          SET status = $3, due_at = $4, attempts = attempts + 1, last_status_code = $5, last_error = $6,
              updated_at = $7, claim_owner = NULL, claim_until = NULL
        WHERE id = $1 AND claim_owner = $2 AND status = 'pending'
       RETURNING id, attempts, round)
     INSERT INTO webhook_delivery_attempts (delivery_id, round, seq, at, duration_ms, status_code, error)
     SELECT id, round, attempts, $7, $8, $5, $6 FROM counted`,
    [
      attempt.deliveryId,
      owner,
      next.status,
      next.status === 'pending' ? next.dueAt : null,
      attempt.statusCode,
      attempt.error,
      attempt.at,
      Math.max(0, Math.round(attempt.durationMs)),
    ],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function getDelivery(db: Queryable, id: string): Promise<WebhookDelivery | null> {
  const row = (await db.query<PgDeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = $1', [id])).rows[0];
  return row ? toDelivery(row) : null;
}

export async function deliveryAttempts(db: Queryable, id: string): Promise<DeliveryAttempt[]> {
  const result = await db.query<DeliveryAttemptRow>('SELECT * FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY round, seq', [id]);
  return result.rows.map(toDeliveryAttempt);
}

/** Newest first; each filter a fixed condition with its own parameter, so every page is one indexed range. */
export async function listDeliveries(db: Queryable, filter: DeliveryFilter): Promise<Page<WebhookDelivery>> {
  const limit = Math.max(1, Math.trunc(filter.limit));
  const conditions: string[] = [];
  const params: unknown[] = [];
  const where = (condition: (n: number) => string, ...values: unknown[]) => {
    conditions.push(condition(params.length + 1));
    params.push(...values);
  };
  if (filter.status !== undefined) where((n) => `status = $${n}`, filter.status);
  if (filter.webhook !== undefined) where((n) => `webhook = $${n}`, filter.webhook);
  if (filter.cursor !== undefined) {
    const position = decodeCursor(filter.cursor);
    where((n) => `(created_at, id) < ($${n}, $${n + 1})`, position.createdAt, position.id);
  }
  params.push(limit + 1);
  const sql = `SELECT * FROM webhook_deliveries ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
    ORDER BY created_at DESC, id DESC LIMIT $${params.length}`;
  const rows = (await db.query<PgDeliveryRow>(sql, params)).rows;
  const items = rows.slice(0, limit).map(toDelivery);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export async function replayDelivery(db: Queryable, id: string, at: number): Promise<WebhookDelivery | null> {
  const result = await db.query<PgDeliveryRow>(
    `UPDATE webhook_deliveries
        SET status = 'pending', due_at = $2, attempts = 0, round = round + 1, last_status_code = NULL, last_error = NULL,
            updated_at = $2, claim_owner = NULL, claim_until = NULL
      WHERE id = $1 AND status IN ('delivered', 'dead')
     RETURNING *`,
    [id, at],
  );
  const row = result.rows[0];
  return row ? toDelivery(row) : null;
}

export async function releaseDeliveryClaims(db: Queryable, owner: string): Promise<number> {
  const result = await db.query("UPDATE webhook_deliveries SET claim_owner = NULL, claim_until = NULL WHERE claim_owner = $1 AND status = 'pending'", [owner]);
  return result.rowCount ?? 0;
}

/** Attempts go with their delivery (ON DELETE CASCADE). */
export async function forgetDeliveries(db: Queryable, before: number): Promise<number> {
  return (await db.query("DELETE FROM webhook_deliveries WHERE status = 'delivered' AND created_at < $1", [before])).rowCount ?? 0;
}
