import assert from 'node:assert/strict';
import {
  AlreadyRunningError,
  CallbackdError,
  ConfigError,
  ConflictError,
  IllegalTransitionError,
  InvalidNumberError,
  InvalidRequestError,
  NotFoundError,
  type ErrorCode,
} from '../../src/domain/errors';
import { HTTP_STATUS, errorAnswer } from '../../src/service/errors';

describe('service: errors, by code, to HTTP statuses', () => {
  it('gives every domain error a stable code and a status from one table', () => {
    const errors: [CallbackdError, ErrorCode, number][] = [
      [new InvalidRequestError('x'), 'invalid_request', 400],
      [new InvalidNumberError('x'), 'invalid_number', 422],
      [new InvalidNumberError('x', 'number_not_allowed'), 'number_not_allowed', 422],
      [new NotFoundError('callback 1'), 'not_found', 404],
      [new ConflictError('x'), 'conflict', 409],
      [new IllegalTransitionError('Completed', 'cancel'), 'illegal_transition', 409],
      [new ConfigError('a.b', 'bad'), 'config_invalid', 500],
      [new AlreadyRunningError('x'), 'already_running', 500],
    ];
    for (const [err, code, status] of errors) {
      assert.equal(err.code, code);
      assert.deepEqual(errorAnswer(err), { status, body: { error: { code, message: err.message } } });
    }
    for (const status of Object.values(HTTP_STATUS)) assert.ok(status >= 400 && status < 600);
  });

  it('answers anything else as internal, without its message (it may hold what a client must not see)', () => {
    assert.deepEqual(errorAnswer(new Error('SQLITE_BUSY at /secret/path')), { status: 500, body: { error: { code: 'internal', message: 'internal error (see the daemon log)' } } });
    assert.equal(errorAnswer('a string').status, 500);
  });

  it('says what to do in a not-found message when it knows', () => {
    assert.equal(new NotFoundError('call 7').message, 'call 7 not found');
    assert.equal(new NotFoundError('call 7', 'give number and queue').message, 'call 7 not found: give number and queue');
  });
});
