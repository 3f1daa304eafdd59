import type { Statement, Transaction } from 'better-sqlite3';
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
} from '../domain/store';
import { decodeCursor, encodeCursor } from './cursor';
import type { Db } from './database';

/** A row of webhook_deliveries (migration 009), as SQLite gives it. */
export interface DeliveryRow {
  id: string;
  webhook: string;
  url: string;
  secret: string | null;
  event: string;
  body: string;
  policy: string;
  status: WebhookDelivery['status'];
  due_at: number | null;
  attempts: number;
  round: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  claim_owner: string | null;
  claim_until: number | null;
}

export interface DeliveryAttemptRow {
  delivery_id: string;
  round: number;
  seq: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

/** Shared with the PostgreSQL store, whose rows have the same columns (policy already parsed there). */
export function toDelivery(row: Omit<DeliveryRow, 'policy'> & { policy: string | DeliveryPolicy }): WebhookDelivery {
  return {
    id: row.id,
    webhook: row.webhook,
    url: row.url,
    secret: row.secret,
    event: row.event,
    body: row.body,
    policy: typeof row.policy === 'string' ? (JSON.parse(row.policy) as DeliveryPolicy) : row.policy,
    status: row.status,
    dueAt: row.due_at,
    attempts: row.attempts,
    round: row.round,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    claimOwner: row.claim_owner,
    claimUntil: row.claim_until,
  };
}

export function toDeliveryAttempt(row: DeliveryAttemptRow): DeliveryAttempt {
  return {
    deliveryId: row.delivery_id,
    round: row.round,
    seq: row.seq,
    at: row.at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
  };
}

/** Claimable: pending, due, and nobody's lease still running. */
const CLAIMABLE = "status = 'pending' AND due_at <= @now AND (claim_until IS NULL OR claim_until <= @now)";

/** Settled rows keep no due time and no claim. */
const RECORD_SQL = `
UPDATE webhook_deliveries
   SET status = @status, due_at = @due_at, attempts = attempts + 1, last_status_code = @status_code, last_error = @error,
       updated_at = @at, claim_owner = NULL, claim_until = NULL
 WHERE id = @id AND claim_owner = @owner AND status = 'pending'
RETURNING attempts, round`;

type PageParams = { status?: string; webhook?: string; created_at?: number; id?: string; limit: number };

/**
 * Webhook deliveries on the SQLite file. One daemon per file, so a claim needs no more than one
 * statement that takes the write lock as it reads (an UPDATE … RETURNING); the lease still matters
 * across a restart, which releaseClaims settles at start.
 */
export class WebhookDeliveries {
  private readonly insert: Statement<DeliveryRow>;
  private readonly claim: Statement<{ owner: string; now: number; until: number; limit: number }, DeliveryRow>;
  private readonly next: Statement<[], { at: number | null }>;
  private readonly record: Statement<Record<string, unknown>, { attempts: number; round: number }>;
  private readonly insertAttempt: Statement<DeliveryAttemptRow>;
  private readonly byId: Statement<[string], DeliveryRow>;
  private readonly attemptsOf: Statement<[string], DeliveryAttemptRow>;
  private readonly replay: Statement<{ id: string; at: number }, DeliveryRow>;
  private readonly release: Statement<[string]>;
  private readonly forget: Statement<[number]>;
  private readonly recordTx: Transaction<(owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext) => boolean>;
  private readonly pages = new Map<string, Statement<PageParams, DeliveryRow>>();

  constructor(private readonly db: Db) {
    this.insert = db.prepare(`
      INSERT INTO webhook_deliveries (id, webhook, url, secret, event, body, policy, status, due_at, attempts, round,
                                      last_status_code, last_error, created_at, updated_at, claim_owner, claim_until)
      VALUES (@id, @webhook, @url, @secret, @event, @body, @policy, @status, @due_at, @attempts, @round,
              @last_status_code, @last_error, @created_at, @updated_at, @claim_owner, @claim_until)
      ON CONFLICT (id) DO NOTHING`);
    this.claim = db.prepare(`
      UPDATE webhook_deliveries SET claim_owner = @owner, claim_until = @until
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE ${CLAIMABLE} ORDER BY due_at, id LIMIT @limit)
      RETURNING *`);
    this.next = db.prepare("SELECT min(max(due_at, coalesce(claim_until, due_at))) AS at FROM webhook_deliveries WHERE status = 'pending'");
    this.record = db.prepare(RECORD_SQL);
    this.insertAttempt = db.prepare(`
      INSERT INTO webhook_delivery_attempts (delivery_id, round, seq, at, duration_ms, status_code, error)
      VALUES (@delivery_id, @round, @seq, @at, @duration_ms, @status_code, @error)`);
    this.byId = db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?');
    this.attemptsOf = db.prepare('SELECT * FROM webhook_delivery_attempts WHERE delivery_id = ? ORDER BY round, seq');
    this.replay = db.prepare(`
      UPDATE webhook_deliveries
         SET status = 'pending', due_at = @at, attempts = 0, round = round + 1, last_status_code = NULL, last_error = NULL,
             updated_at = @at, claim_owner = NULL, claim_until = NULL
       WHERE id = @id AND status IN ('delivered', 'dead')
      RETURNING *`);
    this.release = db.prepare("UPDATE webhook_deliveries SET claim_owner = NULL, claim_until = NULL WHERE claim_owner = ? AND status = 'pending'");
    // Attempts go with their delivery (ON DELETE CASCADE).
    this.forget = db.prepare("DELETE FROM webhook_deliveries WHERE status = 'delivered' AND created_at < ?");
    this.recordTx = db.transaction((owner, attempt, next) => this.recordAttempt(owner, attempt, next));
  }

  add(delivery: NewDelivery): WebhookDelivery {
    const row: DeliveryRow = {
      id: delivery.id,
      webhook: delivery.webhook,
      url: delivery.url,
      secret: delivery.secret,
      event: delivery.event,
      body: delivery.body,
      policy: JSON.stringify(delivery.policy),
      status: 'pending',
      due_at: delivery.dueAt,
      attempts: 0,
      round: 0,
      last_status_code: null,
      last_error: null,
      created_at: delivery.createdAt,
      updated_at: delivery.createdAt,
      claim_owner: null,
      claim_until: null,
    };
    if (this.insert.run(row).changes === 1) return toDelivery(row);
    // Enqueued before under this id: the first one stands.
    return this.get(delivery.id) as WebhookDelivery;
  }

  claimDue(claim: DeliveryClaim): WebhookDelivery[] {
    const rows = this.claim.all({ owner: claim.owner, now: claim.now, until: claim.now + claim.leaseMs, limit: Math.max(1, Math.trunc(claim.limit)) });
    // RETURNING gives rows in no promised order.
    return rows.map(toDelivery).sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0) || (a.id < b.id ? -1 : 1));
  }

  nextAt(): number | null {
    return this.next.get()?.at ?? null;
  }

  recordAttemptInTransaction(owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext): boolean {
    return this.recordTx.immediate(owner, attempt, next);
  }

  get(id: string): WebhookDelivery | null {
    const row = this.byId.get(id);
    return row ? toDelivery(row) : null;
  }

  attempts(id: string): DeliveryAttempt[] {
    return this.attemptsOf.all(id).map(toDeliveryAttempt);
  }

  list(filter: DeliveryFilter): Page<WebhookDelivery> {
    const limit = Math.max(1, Math.trunc(filter.limit));
    const params: PageParams = { limit: limit + 1 };
    if (filter.status !== undefined) params.status = filter.status;
    if (filter.webhook !== undefined) params.webhook = filter.webhook;
    if (filter.cursor !== undefined) {
      const position = decodeCursor(filter.cursor);
      params.created_at = position.createdAt;
      params.id = position.id;
    }
    const rows = this.page(filter.status !== undefined, filter.webhook !== undefined, filter.cursor !== undefined).all(params);
    const items = rows.slice(0, limit).map(toDelivery);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  replayAt(id: string, at: number): WebhookDelivery | null {
    const row = this.replay.get({ id, at });
    return row ? toDelivery(row) : null;
  }

  releaseClaims(owner: string): number {
    return this.release.run(owner).changes;
  }

  forgetBefore(before: number): number {
    return this.forget.run(before).changes;
  }

  private recordAttempt(owner: string, attempt: NewDeliveryAttempt, next: DeliveryNext): boolean {
    const counted = this.record.get({
      id: attempt.deliveryId,
      owner,
      status: next.status,
      due_at: next.status === 'pending' ? next.dueAt : null,
      status_code: attempt.statusCode,
      error: attempt.error,
      at: attempt.at,
    });
    if (!counted) return false;
    this.insertAttempt.run({
      delivery_id: attempt.deliveryId,
      round: counted.round,
      seq: counted.attempts,
      at: attempt.at,
      duration_ms: Math.max(0, Math.round(attempt.durationMs)),
      status_code: attempt.statusCode,
      error: attempt.error,
    });
    return true;
  }

  /** One statement per combination of filters, so each finds its own index. */
  private page(status: boolean, webhook: boolean, after: boolean): Statement<PageParams, DeliveryRow> {
    const key = `${status}/${webhook}/${after}`;
    let statement = this.pages.get(key);
    if (!statement) {
      const conditions: string[] = [];
      if (status) conditions.push('status = @status');
      if (webhook) conditions.push('webhook = @webhook');
      if (after) conditions.push('(created_at, id) < (@created_at, @id)');
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      statement = this.db.prepare<PageParams, DeliveryRow>(`SELECT * FROM webhook_deliveries ${where} ORDER BY created_at DESC, id DESC LIMIT @limit`);
      this.pages.set(key, statement);
    }
    return statement;
  }
}
