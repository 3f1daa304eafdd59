/**
 * The part of a winston logger the adapter uses, so tests can pass a recorder and the adapter does
 * not depend on how the daemon configured its transports.
 */
export interface AdapterLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
  debug(message: string, meta?: Record<string, unknown>): unknown;
  child(meta: Record<string, unknown>): AdapterLogger;
}

/** A URL fit for a log line: no user info, no api_key (ARI accepts the password there). */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    if (url.searchParams.has('api_key')) url.searchParams.set('api_key', '***');
    return url.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** Longest description kept: some libraries put a whole response body in their message. */
const MAX_DESCRIPTION = 1000;

/** An error reduced to what a log line needs; some libraries put request URLs with credentials in messages. Never throws. */
export function describeError(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? err.message : typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
    // fetch() says only "fetch failed"; the socket's reason (ECONNREFUSED, ...) is in its cause.
    const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
    if (cause && (typeof cause.code === 'string' || typeof cause.message === 'string')) text = `${text} (${String(cause.code ?? cause.message)})`;
  } catch {
    // A circular object (JSON.stringify throws) or one without toString: this runs inside catch handlers.
    text = '(an error that cannot be printed)';
  }
  // Redacted before it is cut, so a credential straddling the cut is not half shown.
  const redacted = text
    .slice(0, MAX_DESCRIPTION + 500)
    .replace(/api_key=[^&\s]+/g, 'api_key=***')
    .replace(/\/\/[^/@\s]+:[^/@\s]+@/g, '//');
  return text.length > MAX_DESCRIPTION ? `${redacted.slice(0, MAX_DESCRIPTION)}…` : redacted;
}
