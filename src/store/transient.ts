/**
 * A store error that says "try again": PostgreSQL chose this transaction to break a deadlock
 * (40P01) or could not serialise it (40001), or SQLite found the file busy past its timeout. The
 * transaction was rolled back whole, so doing the same work again is safe.
 */
const TRANSIENT_CODES = new Set(['40P01', '40001', 'SQLITE_BUSY']);

export function isTransientStoreError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}
