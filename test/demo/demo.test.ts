import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { startDemo, type DemoRun } from '../../src/demo/demo';
import { QUEUES } from '../../src/demo/scenario';
import type { Snapshot } from '../../src/demo/snapshot';
import { STATUSES } from '../../src/domain/types';
import { SqliteStore } from '../../src/store/sqlite-store';

/** Every event id the demo's database holds, in order. */
async function eventsOf(file: string): Promise<number[]> {
  const store = SqliteStore.open(file);
  try {
    return (await store.eventsAfter(0, 1_000_000)).map((e) => e.id);
  } finally {
    await store.close();
  }
}

/**
 * The demo as a newcomer runs it (`callbackd demo --seconds 120`), four times faster: the
 * daemon's clock, its scheduler, the simulated Asterisk and the traffic all run at 4×, so the
 * two minutes, one-minute retries included, take 30 s.
 */
const TIMESCALE = 4;
const SECONDS = 120;
const SEED = 7;

function sumOf(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

/** The invariants of the screen: every count adds up. */
function assertAddsUp(s: Snapshot, when: string): void {
  for (const queue of QUEUES) {
    const c = s.calls[queue];
    assert.equal(c.served + c.gaveUp + c.pressedOne + c.waiting + c.entering + c.other, c.placed, `${when}: ${queue} calls ${JSON.stringify(c)}`);
  }
  const cb = s.callbacks;
  assert.equal(sumOf(cb.byStatus), cb.total, `${when}: statuses ${JSON.stringify(cb.byStatus)}`);
  assert.equal(sumOf(cb.byBirth), cb.total, `${when}: births ${JSON.stringify(cb.byBirth)}`);
  assert.equal(sumOf(cb.byQueue), cb.total, `${when}: queues`);
  for (const status of STATUSES) assert.equal(cb.byStatus[status], cb.storeCount[status] ?? 0, `${when}: ${status} by listing and by the store's count`);
  for (const [birth, statuses] of Object.entries(cb.statusByBirth)) assert.equal(sumOf(statuses as Record<string, number>), cb.byBirth[birth as keyof typeof cb.byBirth], `${when}: ${birth}`);
  assert.equal(s.attempts.ended, sumOf(s.attempts.byOutcome), `${when}: attempts`);
}

describe('callbackd demo (two minutes at 4×)', function () {
  this.timeout(90_000);
  let dir: string;
  let demo: DemoRun;
  let screen = '';
  const snapshots: Snapshot[] = [];
  const sampleErrors: unknown[] = [];
  let final: Snapshot;
  /** What the supervisors' page got while the demo ran: its HTML, a list of callbacks, and the live stream's event ids. */
  const page = { html: '', listed: -1, streamed: [] as number[], streamError: null as unknown };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-demo-test-'));
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (screen += d.toString()));
    demo = await startDemo({ seconds: SECONDS, agents: 2, out, live: false, timescale: TIMESCALE, dir, seed: SEED });
    const base = demo.pageUrl.split('?')[0];
    const auth = { authorization: `Bearer ${demo.token}` };
    page.html = await (await fetch(demo.pageUrl)).text();
    // The stream ends when the demo's server closes.
    const streaming = (async () => {
      const res = await fetch(`${base}api/v1/events/stream`, { headers: auth });
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
      page.streamed = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    })().catch((err: unknown) => (page.streamError = err));
    const sampler = setInterval(() => {
      demo.snapshot().then(
        (s) => {
          if (s) snapshots.push(s);
        },
        (err: unknown) => sampleErrors.push(err),
      );
    }, 500);
    try {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      page.listed = (((await (await fetch(`${base}api/v1/callbacks?limit=200`, { headers: auth })).json()) as { items: unknown[] }).items ?? []).length;
      await demo.done;
      await streaming;
    } finally {
      clearInterval(sampler);
    }
    assert.ok(demo.finalSnapshot, 'a last snapshot was taken before the daemon stopped');
    final = demo.finalSnapshot;
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has counts that add up, at every moment and at the end', () => {
    assert.deepEqual(sampleErrors.map(String), [], 'every snapshot could be taken');
    assert.ok(snapshots.length > 20, `${snapshots.length} snapshots`);
    snapshots.forEach((s, i) => assertAddsUp(s, `snapshot ${i}`));
    assertAddsUp(final, 'the end');
    assert.ok(final.callbacks.total >= 12, `${final.callbacks.total} callbacks`);
  });

  it('shows every status within the two minutes', () => {
    for (const status of ['Completed', 'Failed', 'Neglected', 'Cancelled', 'Expired'] as const) {
      assert.ok(final.callbacks.byStatus[status] > 0, `no ${status}: ${JSON.stringify(final.callbacks.byStatus)}`);
    }
    // Scheduled and Dialing are passing states: each was seen while the demo ran.
    for (const status of ['Scheduled', 'Dialing'] as const) assert.ok(snapshots.some((s) => s.callbacks.byStatus[status] > 0), `never ${status}`);
  });

  it('shows every mechanism and both dial modes', () => {
    const births = final.callbacks.byBirth;
    assert.ok(births.heldPlace > 0, 'IvrCallBack delay 0 (pressed 1 in the queue, place kept)');
    assert.ok(births.ivrLater > 0, 'IvrCallBack with a delay (booked in the IVR)');
    assert.ok(births.lostShift > 0, 'LostShift');
    assert.ok(births.manual > 0, 'manual');
    assert.ok(final.attempts.byMode['agent-first'] > 0 && final.attempts.byMode['customer-first'] > 0, JSON.stringify(final.attempts.byMode));
    // Every caller sent to the IVR node who confirmed has their callback, taken from the database.
    assert.ok(births.ivrLater <= final.ivrDirect.placed, `${births.ivrLater} booked of ${final.ivrDirect.placed} IVR callers`);
    // A held place is a caller who pressed 1 in a queue and confirmed; one who backed out is Cancelled.
    assert.ok(births.heldPlace <= final.calls.support.pressedOne + final.calls.sales.pressedOne);
  });

  it('shows every outcome', () => {
    for (const outcome of ['answered', 'busy', 'no_answer', 'not_confirmed', 'agent_unanswered'] as const) {
      assert.ok(final.attempts.byOutcome[outcome] > 0, `no ${outcome}: ${JSON.stringify(final.attempts.byOutcome)}`);
    }
    assert.equal(final.attempts.byOutcome.invalid_number, 0);
  });

  it('invents only numbers callbackd accepts', () => {
    assert.ok(demo.numbers.issued.length > 15);
    for (const number of demo.numbers.issued) assert.equal(demo.numbers.problem(number), null, number);
    const log = fs.readFileSync(demo.logFile, 'utf8');
    assert.doesNotMatch(log, /not a valid phone number|not booked|not shifted: .*refused|number_not_allowed/);
    assert.deepEqual(demo.traffic.problems, []);
  });

  it('keeps the queues steady: the waiting count does not only grow', () => {
    const samples = demo.waitingSamples;
    assert.ok(samples.length > 60, `${samples.length} samples`);
    for (const queue of QUEUES) {
      const counts = samples.map((s) => s[queue]);
      const max = Math.max(...counts);
      const lastQuarter = counts.slice(Math.floor((counts.length * 3) / 4));
      assert.ok(max <= 8, `${queue}: up to ${max} waiting`);
      assert.ok(Math.max(...lastQuarter) <= 4, `${queue}: still ${Math.max(...lastQuarter)} waiting at the end: ${counts.join(',')}`);
      assert.ok(counts.filter((n) => n === 0).length > counts.length / 4, `${queue}: rarely empty: ${counts.join(',')}`);
    }
    assert.ok(final.calls.support.served > final.calls.support.gaveUp, JSON.stringify(final.calls.support));
  });

  it('logs every served call once, and keeps the log after it stops', () => {
    assert.ok(fs.existsSync(demo.logFile), `${demo.logFile} is gone`);
    const lines = fs.readFileSync(demo.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const served = new Map<string, number>();
    for (const l of lines) if (l.message === 'queue call served') served.set(String(l.callId), (served.get(String(l.callId)) ?? 0) + 1);
    assert.deepEqual([...served].filter(([, n]) => n > 1), [], 'a served call logged more than once');
    assert.equal(served.size, final.calls.support.served + final.calls.sales.served);
    assert.equal(lines[lines.length - 1].message, 'callbackd demo stopped');
    assert.ok(fs.existsSync(demo.dbFile));
  });

  it('says on screen and at the end where the log is', () => {
    assert.ok(screen.includes(`log: ${demo.logFile}`), 'named at the start');
    assert.match(screen, /Log \(JSON lines, kept when the demo stops\): .*callbackd\.log/);
    assert.match(screen, /callbackd demo stopped after \d+ s\. Kept for you to look at:\n {2}log {7}\S+callbackd\.log/);
    assert.match(screen, /CALLS INTO A QUEUE {3}placed = served \+ gave up \+ pressed 1 \+ waiting/);
    assert.doesNotMatch(screen, /DOES NOT ADD UP|PROBLEMS|DISCONNECTED/);
    assert.deepEqual(demo.sim.warnings().map(String), []);
  });

  it("serves the supervisors' page while it runs, names its address, and streams every event live", async () => {
    assert.match(demo.pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
    assert.ok(screen.includes(`page: ${demo.pageUrl}`), 'named at the start');
    assert.match(page.html, /<title>[^<]*callbackd/);
    assert.ok(page.listed > 0, `the API listed ${page.listed} callbacks after 10 s`);
    assert.equal(page.streamError, null);
    // The stream started live (after the newest event then) and missed none after it, in order.
    const events = (await eventsOf(demo.dbFile)).filter((id) => id >= page.streamed[0]);
    assert.ok(page.streamed.length > 20, `${page.streamed.length} events streamed`);
    assert.deepEqual(page.streamed, events.slice(0, page.streamed.length));
  });
});
