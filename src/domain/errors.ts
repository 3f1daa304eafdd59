/**
 * The few errors callers need to tell apart, each with a stable code. The HTTP layer and the CLI
 * map codes to statuses and exit codes in one place.
 */
export type ErrorCode =
  | 'illegal_transition'
  | 'not_found'
  | 'conflict'
  | 'invalid_number'
  | 'number_not_allowed'
  | 'invalid_request'
  | 'limit_reached'
  | 'config_invalid'
  | 'pbx_unavailable'
  | 'already_running';

export class CallbackdError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class IllegalTransitionError extends CallbackdError {
  constructor(
    readonly from: string,
    readonly event: string,
  ) {
    super('illegal_transition', `a ${from} callback does not accept "${event}"`);
  }
}

export class NotFoundError extends CallbackdError {
  /** `hint` says what to do instead, after the fact. */
  constructor(what: string, hint?: string) {
    super('not_found', `${what} not found${hint ? `: ${hint}` : ''}`);
  }
}

export class ConflictError extends CallbackdError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/**
 * An idempotency key comes back with another request than the one it was first used for: the
 * client reuses keys, and answering with the first result would hide that its new request was
 * never carried out.
 */
export class IdempotencyMismatchError extends ConflictError {
  constructor() {
    super('idempotency_mismatch: this Idempotency-Key was first used for a different request; use a new key for each new request');
  }
}

/** Why a valid number may not be called, for messages that name the key that would allow it. */
export type NumberRefusal =
  | { rule: 'allowCountries'; country: string }
  | { rule: 'allowTypes'; type: string }
  | { rule: 'blockPatterns'; pattern: string }
  | { rule: 'tollFraudPatterns'; pattern: string }
  | { rule: 'allowPatterns' };

/** The number cannot be dialled; retrying will not help. */
export class InvalidNumberError extends CallbackdError {
  constructor(
    message: string,
    code: 'invalid_number' | 'number_not_allowed' = 'invalid_number',
    /** Set when the number is valid but the transition's number rules refuse it. */
    readonly refusal: NumberRefusal | null = null,
  ) {
    super(code, message);
  }
}

/** A cap on callbacks per number or per queue in any 24 hours is reached: no callback now, maybe tomorrow. */
export class LimitReachedError extends CallbackdError {
  constructor(
    readonly reason: 'number_daily_limit' | 'queue_daily_limit',
    message: string,
  ) {
    super('limit_reached', message);
  }
}

export class InvalidRequestError extends CallbackdError {
  constructor(message: string) {
    super('invalid_request', message);
  }
}

/** Bad configuration: the daemon refuses to start. `key` is the dotted path of the offending key. */
export class ConfigError extends CallbackdError {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super('config_invalid', `configuration key "${key}": ${problem}`);
  }
}

/** Another daemon already works on this database file. */
export class AlreadyRunningError extends CallbackdError {
  constructor(message: string) {
    super('already_running', message);
  }
}
