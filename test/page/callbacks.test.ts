import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Callback } from '../../src/domain/types';
import { until } from '../helpers/wait';
import { PageRig, VIEWER_TOKEN, requireChromium } from './rig';

const MIN = 60_000;

/**
 * The grid of callbacks in headless Chromium against a real daemon, its API and the ARI
 * simulator: filters, live rows, the form, the buttons per row. Every wait is for a condition.
 */
describe('supervisor page: the grid of callbacks', function () {
  this.timeout(90_000);
  let rig: PageRig;
  let page: Page;
  const seeded: Record<string, Callback> = {};

  const row = (id: string) => page.locator(`#callbacks-grid tbody tr[data-id="${id}"]`);
  const rowsShown = () => page.locator('#callbacks-grid tbody tr').evaluateAll((trs) => trs.map((tr) => ({ id: tr.getAttribute('data-id'), status: tr.getAttribute('data-status'), text: tr.textContent ?? '' })));

  before(async function () {
    requireChromium(this);
    rig = await new PageRig().start();
    seeded.afternoon = await rig.manual('+420601111201', 'support', 30, 'asked for the afternoon');
    seeded.sales = await rig.manual('+420601111202', 'sales', 45);
    seeded.later = await rig.manual('+420601111203', 'support', 90);
    seeded.cancelled = await rig.manual('+420601111204', 'support', 120);
    await rig.daemon.service.cancel({ id: seeded.cancelled.id, reason: 'customer wrote an e-mail', by: 'test' });
    // Busy once: the callback stays Scheduled, with "busy" as its last outcome and a retry in 30 minutes.
    rig.sim.scriptDestination('+420601111205', { outcome: 'busy', times: 1 });
    seeded.busy = await rig.manual('+420601111205', 'support', 0);
    seeded.done = await rig.manual('+420601111206', 'sales', 0);
    await rig.status(seeded.done.id, 'Completed');
    await until(async () => (await rig.daemon.store.attemptsOf(seeded.busy.id)).some((a) => a.outcome === 'busy'), 'the busy attempt to end');
    await rig.status(seeded.busy.id, 'Scheduled');
  });

  after(async () => {
    await rig?.stop();
  });

  beforeEach(async () => {
    page = await rig.openLive();
  });

  afterEach(async () => {
    await page?.close();
  });

  it('lists the callbacks with status, number, queue, due time, attempts, mechanism and last outcome', async () => {
    await row(seeded.done.id).locator('.outcome.good').waitFor();
    await rig.shot(page, 'callbacks-grid');
    const done = (await row(seeded.done.id).innerText()).replace(/\s+/g, ' ');
    assert.match(done, /Completed/);
    assert.match(done, /\+420601111206/);
    assert.match(done, /sales/);
    assert.match(done, /answered/);
    const busy = (await row(seeded.busy.id).innerText()).replace(/\s+/g, ' ');
    assert.match(busy, /Scheduled .*\+420601111205.*support .*in (29|30) min.* 1 Manual busy/);
    const title = await row(seeded.afternoon.id).locator('.due').getAttribute('title');
    assert.match(title ?? '', /\d{4}.*\d\d:\d\d:\d\d/, 'the absolute due time on hover');
    // The header counts the statuses, from the daemon.
    await page.locator('[data-count=Cancelled]', { hasText: '1' }).waitFor();
    await page.locator('[data-count=Completed]', { hasText: '1' }).waitFor();
  });

  it('filters the grid by status, queue, number and mechanism', async () => {
    await page.selectOption('#view-callbacks select[name=status]', 'Cancelled');
    await until(async () => {
      const rows = await rowsShown();
      return rows.length === 1 && rows[0].id === seeded.cancelled.id;
    }, 'only the cancelled callback to be listed');
    await rig.shot(page, 'callbacks-filtered-cancelled');

    await page.selectOption('#view-callbacks select[name=status]', '');
    await page.fill('#view-callbacks input[name=queue]', 'sales');
    await until(async () => {
      const rows = await rowsShown();
      return rows.length === 2 && rows.every((r) => /sales/.test(r.text));
    }, 'only the sales callbacks');

    await page.fill('#view-callbacks input[name=queue]', '');
    await page.fill('#view-callbacks input[name=number]', '601 111 203');
    await until(async () => {
      const rows = await rowsShown();
      return rows.length === 1 && rows[0].id === seeded.later.id;
    }, 'the callback of the national number typed');

    await page.fill('#view-callbacks input[name=number]', '');
    await page.selectOption('#view-callbacks select[name=mechanism]', 'manual');
    await until(async () => (await rowsShown()).length >= 6, 'the manual callbacks');
    await page.selectOption('#view-callbacks select[name=mechanism]', 'IvrCallBack');
    await page.locator('#view-callbacks .empty:not([hidden])').waitFor();

    // A number that is not one: the API's refusal, in place.
    await page.selectOption('#view-callbacks select[name=mechanism]', '');
    await page.fill('#view-callbacks input[name=number]', 'abc');
    await page.locator('#view-callbacks > .error:not([hidden])', { hasText: 'not a valid phone number' }).waitFor();
  });

  it('shows new callbacks and status changes as they happen, without a reload', async () => {
    await page.evaluate(() => ((globalThis as { stayed?: boolean }).stayed = true));
    const fresh = await rig.manual('+420601111207', 'support', 60, 'made by another front end');
    await row(fresh.id).waitFor();
    assert.equal(await row(fresh.id).getAttribute('data-status'), 'Scheduled');
    await rig.shot(page, 'callbacks-live-new-row');

    // Due now: the daemon dials it over the simulator, and the row follows: Dialing, then Completed.
    await rig.daemon.service.callNow({ id: fresh.id, reason: 'test', by: 'test' });
    await page.locator(`#callbacks-grid tr[data-id="${fresh.id}"][data-status=Completed]`).waitFor({ timeout: 20_000 });
    await row(fresh.id).locator('.outcome.good', { hasText: 'answered' }).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as { stayed?: boolean }).stayed), true, 'the page was not reloaded');
    await page.locator('#activity li', { hasText: 'Scheduled → Dialing' }).first().waitFor();
    await rig.shot(page, 'callbacks-live-completed');
  });

  it('creates a manual callback with the form', async () => {
    const form = page.locator('#new-callback form');
    await form.locator('input[name=number]').fill('601 222 333');
    await form.locator('input[name=queue]').fill('support');
    await form.locator('fieldset.when input[type=number]').fill('20');
    await form.locator('input[type=radio][value=delay]').check();
    await form.locator('textarea[name=note]').fill('wants to talk about the invoice');
    await rig.shot(page, 'new-callback-form');
    await form.locator('button[type=submit]').click();
    await form.locator('.done:not([hidden])', { hasText: 'Created' }).waitFor();

    const made = await until(async () => (await rig.daemon.store.list({ number: '+420601222333', limit: 5 })).items[0], 'the callback in the store');
    assert.equal(made.mechanism, 'manual');
    assert.equal(made.queue, 'support');
    assert.equal(made.note, 'wants to talk about the invoice');
    assert.ok(Math.abs((made.dueAt as number) - (Date.now() + 20 * MIN)) < MIN, 'due in 20 minutes');
    await row(made.id).waitFor();

    // Refusals come back in place, in the API's words.
    await form.locator('input[name=number]').fill('12');
    await form.locator('input[name=queue]').fill('support');
    await form.locator('button[type=submit]').click();
    await form.locator('.error:not([hidden])').waitFor();
    assert.match(await form.locator('.error').innerText(), /number/i);
    await rig.shot(page, 'new-callback-refused');
  });

  it('cancels one with its row button, the reason recorded', async () => {
    const id = seeded.later.id;
    await row(id).locator('[data-action=cancel]').click();
    const dialog = page.locator('dialog[data-dialog=cancel]');
    await dialog.waitFor();
    await dialog.locator('textarea[name=reason]').fill('customer solved it in the shop');
    await rig.shot(page, 'cancel-dialog');
    await dialog.locator('[data-role=confirm]').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator(`#callbacks-grid tr[data-id="${id}"][data-status=Cancelled]`).waitFor();
    assert.equal((await rig.daemon.store.get(id))?.status, 'Cancelled');
    const note = (await rig.daemon.store.eventsOf(id)).find((e) => e.type === 'Note');
    assert.deepEqual(note?.data, { cancelledBy: 'api', reason: 'customer solved it in the shop' });
  });

  it('reschedules one with a delay from its row, and calls one now', async () => {
    const id = seeded.afternoon.id;
    await row(id).locator('[data-action=reschedule]').click();
    const dialog = page.locator('dialog[data-dialog=reschedule]');
    await dialog.locator('input[type=number]').fill('240');
    await dialog.locator('textarea[name=reason]').fill('in a meeting until four');
    await dialog.locator('[data-role=confirm]').click();
    await dialog.waitFor({ state: 'detached' });
    await row(id).locator('.rel', { hasText: 'in 4 h' }).waitFor();
    const moved = (await rig.daemon.store.eventsOf(id)).find((e) => e.type === 'Rescheduled');
    assert.equal(moved?.data.reason, 'in a meeting until four');
    assert.ok(Math.abs((await rig.daemon.store.get(id))!.dueAt! - (Date.now() + 240 * MIN)) < MIN);

    await row(id).locator('[data-action=call-now]').click();
    const now = page.locator('dialog[data-dialog=call-now]');
    await now.locator('[data-role=confirm]').click();
    await now.waitFor({ state: 'detached' });
    await page.locator(`#callbacks-grid tr[data-id="${id}"][data-status=Completed]`).waitFor({ timeout: 20_000 });
    const events = await rig.daemon.store.eventsOf(id);
    assert.ok(events.some((e) => e.type === 'Rescheduled' && e.data.callNow === true), 'the call-now is in the history');
  });

  it('opens the details of a row: facts, attempts, events, form', async () => {
    await row(seeded.busy.id).click();
    const drawer = page.locator('#drawer');
    await drawer.locator('table.mini tbody tr').first().waitFor();
    const text = await drawer.innerText();
    assert.match(text, /\+420601111205/);
    assert.match(text, /busy/);
    assert.match(text, /Attempt 1 started/);
    assert.match(text, /cbph-|cbcu-/, 'the outbound call ids');
    await rig.shot(page, 'callback-details');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  it('is driven from the keyboard: arrows select, C calls now', async () => {
    const id = seeded.sales.id;
    await page.locator('#callbacks-grid tbody tr').first().waitFor();
    for (let i = 0; i < 20 && (await page.locator(`#callbacks-grid tr.selected[data-id="${id}"]`).count()) === 0; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('#callbacks-grid tr.selected').getAttribute('data-id'), id);
    await page.keyboard.press('c');
    const dialog = page.locator('dialog[data-dialog=call-now]');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await rig.daemon.store.get(id))?.status, 'Scheduled', 'Esc dismissed it');
  });

  it('shows a viewer token\'s refusal in the dialog, in the API\'s words', async () => {
    const viewer = await rig.open(`/?token=${VIEWER_TOKEN}`);
    try {
      await viewer.locator(`#callbacks-grid tr[data-id="${seeded.sales.id}"] [data-action=cancel]`).click();
      const dialog = viewer.locator('dialog[data-dialog=cancel]');
      await dialog.locator('textarea[name=reason]').fill('not allowed');
      await dialog.locator('[data-role=confirm]').click();
      await dialog.locator('.error:not([hidden])', { hasText: 'viewer token may only read' }).waitFor();
      await rig.shot(viewer, 'viewer-refused');
      assert.equal((await rig.daemon.store.get(seeded.sales.id))?.status, 'Scheduled');
    } finally {
      await viewer.close();
    }
  });

  // Last: it adds more callbacks than a page holds.
  it('pages through more callbacks than a page holds, older and back to newer', async () => {
    const total = (await rig.daemon.store.list({ limit: 1000 })).items.length;
    for (let i = 0; i < 50; i++) await rig.manual(`+4206022${String(i).padStart(5, '0')}`, 'support', 60 + i);
    await page.reload();
    const label = page.locator('#view-callbacks [data-role=page]');
    await label.filter({ hasText: 'Page 1 · rows 1–50' }).waitFor();
    const firstPage = (await rowsShown()).map((r) => r.id);
    await page.locator('#view-callbacks [data-role=older]').click();
    await label.filter({ hasText: `Page 2 · rows 51–${total + 50}` }).waitFor();
    const secondPage = (await rowsShown()).map((r) => r.id);
    assert.equal(secondPage.length, total);
    assert.equal(firstPage.filter((id) => secondPage.includes(id)).length, 0, 'no row on both pages');
    assert.ok(await page.locator('#view-callbacks [data-role=older]').isDisabled(), 'no page after the last');
    await page.locator('#view-callbacks [data-role=newer]').click();
    await label.filter({ hasText: 'Page 1 · rows 1–50' }).waitFor();
    assert.deepEqual((await rowsShown()).map((r) => r.id), firstPage);
    assert.ok(await page.locator('#view-callbacks [data-role=newer]').isDisabled());
  });
});
