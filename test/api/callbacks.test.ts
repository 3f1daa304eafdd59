import assert from 'node:assert/strict';
import { MIN, NOW, attempt, openApiRig, seeded, storeState, type ApiRig } from './rig';

const iso = (ms: number) => new Date(ms).toISOString();

describe('api: /api/v1/callbacks', () => {
  let rig: ApiRig;
  beforeEach(async () => {
    rig = await openApiRig();
  });
  afterEach(() => rig.close());

  describe('POST /api/v1/callbacks', () => {
    it('creates a manual callback (201) with the number normalised, its note, form and times with their offset', async () => {
      const r = await rig.post('/api/v1/callbacks', { number: '601 111 222', queue: 'support', delayMinutes: 15, note: 'billing', form: { account: '42' } });
      assert.equal(r.status, 201, r.text);
      const { callback, merged, movedFrom } = r.body;
      assert.deepEqual([callback.number, callback.status, callback.mechanism, callback.note, callback.form, merged, movedFrom], ['+420601111222', 'Scheduled', 'manual', 'billing', { account: '42' }, false, null]);
      assert.match(callback.dueAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      assert.equal(Date.parse(callback.dueAt), NOW + 15 * MIN);
      const stored = await rig.store.get(callback.id);
      assert.equal(stored?.number, '+420601111222');
      assert.deepEqual((await rig.store.eventsOf(callback.id)).map((e) => [e.type, e.data.by]), [['Created', 'api']]);
    });

    it('takes dueAt as an ISO time with its offset, or "now"; merges a second request (200)', async () => {
      const at = await rig.post('/api/v1/callbacks', { number: '+420601111222', queue: 'support', dueAt: '2026-11-24T11:30:00+01:00' });
      assert.equal(at.status, 201, at.text);
      assert.equal(Date.parse(at.body.callback.dueAt), Date.parse('2026-11-24T10:30:00Z'));
      const again = await rig.post('/api/v1/callbacks', { number: '00420601111222', queue: 'support', dueAt: 'now', note: 'asked twice' });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual([again.body.merged, again.body.callback.id, again.body.callback.note], [true, at.body.callback.id, 'asked twice']);
    });

    it('with createLostCallEvent and relatedCallId records the LostCall event with the Shifted reference', async () => {
      const r = await rig.post('/api/v1/callbacks', { number: '+420601111222', queue: 'support', relatedCallId: 'call-9', createLostCallEvent: true });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual([r.body.callback.shifted, r.body.callback.originCallId], [true, 'call-9']);
      assert.deepEqual((await rig.store.eventsOf(r.body.callback.id)).map((e) => e.type), ['LostCall']);
    });

    const refusals: Array<[string, unknown, number, RegExp]> = [
      ['a number of the wrong type', { number: 420601111222, queue: 'support' }, 400, /body\.number must be string/],
      ['an unknown field', { number: '+420601111222', queue: 'support', priority: 1 }, 400, /unknown field "priority"/],
      ['no number', { queue: 'support' }, 400, /body\.number is required/],
      ['a delay given as text', { number: '+420601111222', queue: 'support', delayMinutes: '5' }, 400, /body\.delayMinutes must be integer/],
      ['a negative delay', { number: '+420601111222', queue: 'support', delayMinutes: -1 }, 400, /body\.delayMinutes must be >= 0/],
      ['a time without its offset', { number: '+420601111222', queue: 'support', dueAt: '2026-11-24T10:00:00' }, 400, /body\.dueAt must be a date and time in ISO 8601 with its offset/],
      ['a time in the past', { number: '+420601111222', queue: 'support', dueAt: '2020-01-01T10:00:00+01:00' }, 400, /in the past/],
      ['both dueAt and delayMinutes', { number: '+420601111222', queue: 'support', dueAt: 'now', delayMinutes: 5 }, 400, /dueAt or delayMinutes, not both/],
      ['a form value that is not a string', { number: '+420601111222', queue: 'support', form: { account: 42 } }, 400, /body\.form\.account must be string/],
      ['a form field that is not a plain name', { number: '+420601111222', queue: 'support', form: { 'a b': 'x' } }, 400, /body\.form has a field whose name is not a plain name/],
      ['a queue that could add dialplan options', { number: '+420601111222', queue: 'support,t' }, 400, /is not a queue name/],
      ['a queue no transition takes', { number: '+420601111222', queue: 'sales' }, 400, /no transition enables manual callbacks for queue "sales"/],
      ['a number with a second destination', { number: '+420601111222&SIP/evil', queue: 'support' }, 422, /"\+420601111222&SIP\/evil" is not a phone number/],
      ['a number with dial options', { number: '601111222,,1', queue: 'support' }, 422, /"601111222,,1" is not a phone number/],
      ['a number that is no number', { number: '+420 12', queue: 'support' }, 422, /is not a valid phone number/],
      ['a foreign number', { number: '+447911123456', queue: 'support' }, 422, /\+447911123456 is in \w+, not in CZ/],
      ['a body that is a list', [{ number: '+420601111222', queue: 'support' }], 400, /body must be object/],
    ];
    for (const [what, body, status, message] of refusals) {
      it(`refuses ${what} (${status}) with a clear message, and stores nothing`, async () => {
        const before = await storeState(rig);
        const r = await rig.post('/api/v1/callbacks', body);
        assert.equal(r.status, status, r.text);
        assert.match(r.body.error.message, message);
        assert.equal(r.body.error.code, status === 422 ? (/foreign/.test(what) ? 'number_not_allowed' : 'invalid_number') : 'invalid_request');
        assert.equal(await storeState(rig), before);
      });
    }

    it('refuses a body over api.bodyLimitBytes (413), one that is not JSON (415 / 400), and stores nothing', async () => {
      const before = await storeState(rig);
      const huge = await rig.post('/api/v1/callbacks', { number: '+420601111222', queue: 'support', note: 'x'.repeat(70_000) });
      assert.deepEqual([huge.status, huge.body.error.code], [413, 'payload_too_large']);
      assert.match(huge.body.error.message, /larger than 65536 bytes \(api\.bodyLimitBytes\)/);
      const text = await rig.call('POST', '/api/v1/callbacks', { raw: 'number=1', headers: { 'content-type': 'text/plain' } });
      assert.deepEqual([text.status, text.body.error.code], [415, 'unsupported_media_type']);
      const broken = await rig.call('POST', '/api/v1/callbacks', { raw: '{"number": ', headers: { 'content-type': 'application/json' } });
      assert.deepEqual([broken.status, broken.body.error.message], [400, 'the body is not valid JSON']);
      assert.equal(await storeState(rig), before);
    });
  });

  describe('GET /api/v1/callbacks and /api/v1/callbacks/{id}', () => {
    it('lists newest first with filters, a cursor, and each row\'s last outcome', async () => {
      const a = await seeded(rig, '+420601111001');
      rig.clock.advance(MIN);
      const b = await seeded(rig, '+420601111002');
      await attempt(rig, b, 'busy');
      const all = await rig.get('/api/v1/callbacks');
      assert.equal(all.status, 200, all.text);
      assert.deepEqual(all.body.items.map((c: { id: string }) => c.id), [b.id, a.id]);
      assert.deepEqual(all.body.items.map((c: { lastOutcome: string | null }) => c.lastOutcome), ['busy', null]);
      const first = await rig.get('/api/v1/callbacks?limit=1');
      assert.deepEqual(first.body.items.map((c: { id: string }) => c.id), [b.id]);
      const next = await rig.get(`/api/v1/callbacks?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      assert.deepEqual([next.body.items.map((c: { id: string }) => c.id), next.body.nextCursor], [[a.id], null]);
      const byNumber = await rig.get('/api/v1/callbacks?number=601111001&status=Scheduled&mechanism=manual&queue=support');
      assert.deepEqual(byNumber.body.items.map((c: { id: string }) => c.id), [a.id]);
    });

    it('refuses bad filters (400) naming the parameter', async () => {
      for (const [query, message] of [
        ['limit=ten', /query\.limit must be integer/],
        ['limit=0', /query\.limit must be >= 1/],
        ['limit=5000', /query\.limit must be <= 1000/],
        ['status=done', /query\.status must be one of Scheduled, Dialing/],
        ['mechanism=fax', /query\.mechanism must be one of IvrCallBack/],
        ['sort=asc', /query has an unknown field "sort"/],
        ['number=abc', /number "abc" is not a valid phone number/],
      ] as const) {
        const r = await rig.get(`/api/v1/callbacks?${query}`);
        assert.deepEqual([r.status, r.body.error.code], [400, 'invalid_request'], query);
        assert.match(r.body.error.message, message);
      }
    });

    it('shows one callback with its attempts (and their outbound call ids), events and form; 404 for an unknown id', async () => {
      const cb = await seeded(rig, '+420601111222', { form: { account: '7' } });
      const { attempt: made } = await attempt(rig, cb, 'no_answer');
      const r = await rig.get(`/api/v1/callbacks/${cb.id}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.callback.id, cb.id);
      assert.deepEqual(r.body.form, { account: '7' });
      assert.deepEqual(r.body.attempts.map((x: { outcome: string; outboundCallIds: string[] }) => [x.outcome, x.outboundCallIds]), [['no_answer', [made.customerRef]]]);
      assert.deepEqual(r.body.events.map((e: { type: string; callbackId: string }) => [e.type, e.callbackId === cb.id]).slice(0, 2), [['Created', true], ['AttemptStarted', true]]);
      const none = await rig.get('/api/v1/callbacks/no-such-callback');
      assert.deepEqual([none.status, none.body.error], [404, { code: 'not_found', message: 'callback no-such-callback not found' }]);
    });
  });

  describe('cancel, reschedule, call-now', () => {
    it('cancels with a reason, recorded as an event; a second cancel is refused (409)', async () => {
      const cb = await seeded(rig);
      const r = await rig.post(`/api/v1/callbacks/${cb.id}/cancel`, { reason: 'customer asked' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.callback.status, 'Cancelled');
      const note = (await rig.store.eventsOf(cb.id)).find((e) => e.type === 'Note');
      assert.deepEqual(note?.data, { cancelledBy: 'api', reason: 'customer asked' });
      const again = await rig.call('POST', `/api/v1/callbacks/${cb.id}/cancel`);
      assert.deepEqual([again.status, again.body.error.code], [409, 'illegal_transition']);
    });

    it('reschedules to a time or after a delay, and calls now, each with its reason', async () => {
      const cb = await seeded(rig, '+420601111222', { delayMinutes: 60 });
      const moved = await rig.post(`/api/v1/callbacks/${cb.id}/reschedule`, { dueAt: iso(NOW + 30 * MIN), reason: 'customer in a meeting' });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(Date.parse(moved.body.callback.dueAt), NOW + 30 * MIN);
      const later = await rig.post(`/api/v1/callbacks/${cb.id}/reschedule`, { delayMinutes: 10 });
      assert.equal(Date.parse(later.body.callback.dueAt), NOW + 10 * MIN);
      const now = await rig.post(`/api/v1/callbacks/${cb.id}/call-now`, { reason: 'supervisor' });
      assert.equal(Date.parse(now.body.callback.dueAt), NOW);
      const rescheduled = (await rig.store.eventsOf(cb.id)).filter((e) => e.type === 'Rescheduled').map((e) => [e.data.reason ?? null, e.data.callNow ?? false]);
      assert.deepEqual(rescheduled, [['customer in a meeting', false], [null, false], ['supervisor', true]]);
    });

    it('refuses what is not a change, and changes nothing', async () => {
      const cb = await seeded(rig, '+420601111222', { delayMinutes: 60 });
      const before = await storeState(rig);
      for (const [path, body, status, message] of [
        ['reschedule', {}, 400, /give dueAt \(a time, or "now"\) or delayMinutes/],
        ['reschedule', { dueAt: 'tomorrow' }, 400, /body\.dueAt must be a date and time/],
        ['reschedule', { dueAt: iso(NOW + 600 * MIN) }, 400, /expires at/],
        ['cancel', { reason: 42 }, 400, /body\.reason must be string/],
        ['cancel', { reason: 'x', force: true }, 400, /unknown field "force"/],
        ['call-now', { reason: 'r'.repeat(501) }, 400, /body\.reason must NOT have more than 500 characters/],
      ] as const) {
        const r = await rig.post(`/api/v1/callbacks/${cb.id}/${path}`, body);
        assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${r.text}`);
        assert.match(r.body.error.message, message);
      }
      const gone = await rig.post('/api/v1/callbacks/nope/call-now', {});
      assert.equal(gone.status, 404);
      assert.equal(await storeState(rig), before);
    });
  });

  it('GET /api/v1/stats counts callbacks by status, every status present, with the newest event id', async () => {
    const a = await seeded(rig, '+420601111001');
    await seeded(rig, '+420601111002');
    await rig.service.cancel({ id: a.id, by: 'test' });
    const r = await rig.get('/api/v1/stats');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.byStatus, { Scheduled: 1, Dialing: 0, Completed: 0, Failed: 0, Neglected: 0, Cancelled: 1, Expired: 0 });
    assert.equal(r.body.total, 2);
    assert.equal(r.body.lastEventId, await rig.store.lastEventId());
  });
});
