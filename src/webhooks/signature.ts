import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature of a webhook request. */
export const SIGNATURE_HEADER = 'Callbackd-Signature';

/** Five minutes: a request signed longer ago (or ahead) is refused, so a captured one cannot be replayed later. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/**
 * The value of Callbackd-Signature for `body` sent at `timestampSeconds` (Unix seconds):
 * `t=<seconds>,v1=<hex HMAC-SHA256 of "<seconds>.<body>">`. The time is signed with the body, so a
 * receiver that checks it can refuse an old request sent again.
 */
export function signBody(secret: string, timestampSeconds: number, body: string): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/** The timestamp and every v1 signature of a header value; null when it has no valid t or no v1. */
export function parseSignature(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

/**
 * For receivers: whether `header` (Callbackd-Signature) signs `body` (the raw request body, as
 * received, before any JSON parsing) with `secret`, at a time within `toleranceSeconds` of
 * `nowSeconds`. Signatures are compared in constant time; several v1 values are allowed (any may
 * match), for a sender changing secrets.
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const parsed = parseSignature(header);
  if (!parsed || Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, parsed.timestamp, body), 'hex');
  let match = false;
  // Every candidate is compared, so the time taken does not tell which one matched.
  for (const signature of parsed.signatures) {
    if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) match = true;
  }
  return match;
}
