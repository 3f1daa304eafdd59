import { InvalidRequestError } from '../domain/errors';

/** Where a page of the list ended: the last row's (createdAt, id), stable under inserts, unlike an offset. */
export interface Position {
  createdAt: number;
  id: string;
}

/** Opaque to clients (base64url of the JSON pair), and the same for both backends. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === 'string') {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError('invalid cursor');
}
