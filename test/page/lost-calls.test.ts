import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { SimCall } from '../../src/asterisk/simulator';
import { PageRig, requireChromium } from './rig';

/**
 * The grid of lost calls and the history of a call, in headless Chromium against a real daemon
 * and the ARI simulator: a caller who hung up too soon for an automatic callback gets one from
 * the grid's button (with the LostCall event), and a call's history shows what it led to.
 */
describe('supervisor page: lost calls and the history of a call', function () {
  this.timeout(90_000);
  let rig: PageRig;
  let page: Page;
  /** Hung up in support after a few seconds, under minWaitSeconds: no automatic callback. */
  let tooSoon: SimCall;
  /** Hung up in sales: a LostShift callback, dialled and completed. */
  let lost: SimCall;

  const lostRow = (callId: string) => page.locator(`#lost-grid tbody tr[data-call="${callId}"]`);

  before(async function () {
    requireChromium(this);
    rig = await new PageRig().start();
    tooSoon = await rig.abandoned('+420602333401', 'support');
    lost = await rig.abandoned('+420602333402', 'sales');
    const [automatic] = await rig.daemon.store.callbacksOfCall(lost.channelId);
    assert.ok(automatic, 'the sales call became a LostShift callback');
    await rig.status(automatic.id, 'Completed', 20_000);
  });

  after(async () => {
    await rig?.stop();
  });

  beforeEach(async () => {
    page = await rig.openLive();
    await page.locator('[role=tab][data-tab=lost]').click();
    await lostRow(tooSoon.channelId).waitFor();
  });

  afterEach(async () => {
    await page?.close();
  });

  it('lists abandoned calls: when, how long they waited, whether they became a callback and why not', async () => {
    const soon = (await lostRow(tooSoon.channelId).innerText()).replace(/\s+/g, ' ');
    assert.match(soon, /\+420602333401/);
    assert.match(soon, /support/);
    assert.match(soon, /No callback — .*minWaitSeconds.* too_short/);
    const became = (await lostRow(lost.channelId).innerText()).replace(/\s+/g, ' ');
    assert.match(became, /Completed/);
    await rig.shot(page, 'lost-calls-grid');
  });

  it("creates a callback from a lost call's row, with the LostCall event", async () => {
    await lostRow(tooSoon.channelId).locator('[data-action=call-back]').click();
    const dialog = page.locator('dialog[data-dialog=lost-call]');
    await dialog.waitFor();
    await dialog.locator('input[type=radio][value=delay]').check();
    await dialog.locator('input[type=number]').fill('10');
    await dialog.locator('textarea[name=note]').fill('hung up after a few seconds');
    assert.equal(await dialog.locator('input[name=lostCallEvent]').isChecked(), true);
    await rig.shot(page, 'lost-call-dialog');
    await dialog.locator('[data-role=confirm]').click();
    await dialog.waitFor({ state: 'detached' });
    await lostRow(tooSoon.channelId).locator('.badge.s-scheduled').waitFor();

    const [made] = await rig.daemon.store.callbacksOfCall(tooSoon.channelId);
    assert.equal(made.shifted, true, 'shifted: the Neglected exclusion applies');
    assert.equal(made.number, '+420602333401');
    assert.equal(made.queue, 'support');
    assert.equal(made.note, 'hung up after a few seconds');
    assert.deepEqual(made.form, { ACCOUNT: 'acc-401' }, "the call's form");
    const lostCall = (await rig.daemon.store.eventsOf(made.id)).find((e) => e.type === 'LostCall');
    assert.ok(lostCall, 'the LostCall event');
    assert.equal(lostCall.callId, tooSoon.channelId);
    assert.equal(lostCall.data.shifted, tooSoon.channelId);
    // The grid of callbacks has it too, live.
    await page.locator('[role=tab][data-tab=callbacks]').click();
    await page.locator(`#callbacks-grid tr[data-id="${made.id}"]`).waitFor();
  });

  it('opens the history of a call from its row: the call, its callback, the attempt and its outbound call ids, the events, the form', async () => {
    await lostRow(lost.channelId).click();
    const view = page.locator('#view-history');
    await view.locator('.timeline li').first().waitFor();
    const timeline = await view.locator('.timeline').innerText();
    for (const step of ['Call entered queue sales', 'Caller hung up in the queue', 'LostCall recorded', 'Attempt 1 started', 'Attempt 1 ended: answered', 'Dialing → Completed']) {
      assert.ok(timeline.includes(step), `the timeline shows "${step}":\n${timeline}`);
    }
    const [cb] = await rig.daemon.store.callbacksOfCall(lost.channelId);
    const [attempt] = await rig.daemon.store.attemptsOf(cb.id);
    const outbound = [attempt.placeholderRef, attempt.customerRef].filter((x): x is string => x !== null);
    assert.ok(outbound.length > 0);
    for (const id of outbound) assert.ok(timeline.includes(id), `outbound call id ${id} in the timeline`);
    const side = await view.locator('.history-side').innerText();
    assert.match(side, /ACCOUNT/);
    assert.match(side, /acc-402/);
    await rig.shot(page, 'call-history');

    // By an outbound call id, typed: the same history, from the other end.
    await view.locator('input[name=id]').fill(outbound[outbound.length - 1]);
    await view.locator('button[type=submit]').click();
    await view.locator('.history-head .note', { hasText: `attempt 1 of callback ${cb.id.slice(0, 8)}` }).waitFor();
    assert.match(await view.locator('.history-title h2').innerText(), new RegExp(lost.channelId.replace(/[.]/g, '\\.')));

    // An id nobody knows: the API's message, in place.
    await view.locator('input[name=id]').fill('no-such-call');
    await view.locator('button[type=submit]').click();
    await view.locator('.error:not([hidden])', { hasText: 'no-such-call' }).waitFor();
  });
});
