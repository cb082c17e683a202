/**
 * The operators' dashboard in Debian's Chromium, driven by playwright-core, against the real
 * admin API (its live socket and static files) on a scratch site: log in, a pass in the feed
 * and on its tile, a fever alarm that stays until acknowledged, an emergency open that reaches
 * the lane, a mode switch with its confirmation, the language toggle, what a technician may
 * not do, the live socket reconnecting, and the layout at 1366×768 and at tablet width (with a
 * screenshot of the main screen in test/browser/artifacts/).
 *
 * Waits are for conditions (the page's elements, the rig's records), bounded generously; no
 * assertion is on time. The pass-to-feed delay is measured and printed, not asserted.
 */
import { mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry, JournalEventType } from '../../gateway/journal/events.js';
import { startDashboardRig } from '../helpers/dashboard-rig.js';
import { waitFor } from '../helpers/wait-for.js';

const PASSWORD = 'correct horse battery';
const ARTIFACTS = resolve(import.meta.dirname, 'artifacts');
/** Bounds how long a failing wait hangs; never a claim about speed. */
const WAIT_MS = 10_000;

let rig: Awaited<ReturnType<typeof startDashboardRig>>;
let browser: Browser;
/** The test's browser contexts, closed after it; and what their pages threw. */
let contexts: BrowserContext[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  rig = await startDashboardRig();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

afterEach(async () => {
  const open = contexts;
  contexts = [];
  await Promise.all(open.map((c) => c.close()));
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'errors thrown in the page').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await rig?.stop();
});

/** A fresh page (its own storage: no token, zh-CN) of the dashboard, not logged in. */
async function freshPage(viewport = { width: 1366, height: 768 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

/** Logs in through the form and waits for the main screen with its live socket up. */
async function logIn(page: Page, user: string): Promise<void> {
  await page.goto(rig.url);
  await page.fill('#login-user', user);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#live-status[data-connected="true"]');
  await page.waitForSelector('.tile[data-lane="north-ped-in"]');
}

/** Journal entries of a type appended after `afterSeq`. */
function entriesAfter<T extends JournalEventType>(type: T, afterSeq: number): JournalEntry<T>[] {
  return rig.site.journal
    .tail(500)
    .filter((e) => e.type === type && e.seq > afterSeq) as unknown as JournalEntry<T>[];
}

describe('operators’ dashboard', () => {
  it('logs in as an operator, showing the API’s message for a wrong password first', async () => {
    const page = await freshPage();
    await page.goto(rig.url);
    await page.fill('#login-user', 'operator-1');
    await page.fill('#login-password', 'not the password');
    await page.click('#login-form button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('wrong user or password');
    expect(await page.isVisible('#app')).toBe(false);

    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    expect(await page.textContent('#who')).toContain('operator-1');
    expect(await page.locator('.tile').count()).toBe(6);
    // An operator has the actions a technician must not (see below).
    expect(await page.locator('[data-action]:visible').count()).toBeGreaterThan(6);
  });

  it('shows a simulated pass in the feed and on its tile, and filters the feed', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    const started = performance.now();
    rig.pass('north-ped-in', 'A0000001');
    const decision = entriesAfter('decision', 0).at(-1);
    expect(decision?.payload.decision.allow).toBe(true);
    const row = page.locator(`#feed .feed-row[data-seq="${decision?.seq}"]`);
    await row.waitFor();
    const delayMs = performance.now() - started;
    console.log(`pass → feed row: ${delayMs.toFixed(0)} ms`);
    expect(await row.getAttribute('data-outcome')).toBe('granted');
    expect(await row.textContent()).toContain('住户，请通行');

    const last = page.locator(`.tile[data-lane="north-ped-in"] .tile-last[data-seq="${decision?.seq}"]`);
    await last.waitFor();
    expect(await last.getAttribute('data-outcome')).toBe('granted');
    expect(await last.textContent()).toContain('住户，请通行');

    await page.selectOption('#feed-outcome', 'refused');
    await row.waitFor({ state: 'detached' });
    await page.selectOption('#feed-outcome', '');
    await page.selectOption('#feed-lane', 'north-ped-in');
    await page.selectOption('#feed-reason', 'RESIDENT');
    await row.waitFor();
  });

  it('raises a critical fever alarm that stays until acknowledged, and journals the acknowledgement', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    const before = rig.site.journal.lastSeq();
    rig.fever('north-ped-in', 'A0000003');
    const alarm = page.locator('#alarms .alarm.critical[data-code="FEVER"]');
    await alarm.waitFor();
    const seq = Number(await alarm.getAttribute('data-seq'));
    expect(seq).toBeGreaterThan(before);
    expect(await page.getAttribute('body', 'data-alarm-sound')).toBe('on');

    // Still there after a reload (the session survives in the tab): only an acknowledgement ends it.
    await page.reload();
    await page.waitForSelector('#live-status[data-connected="true"]');
    await page.locator(`#alarms .alarm.critical[data-seq="${seq}"]`).waitFor();

    await page.click(`#alarms [data-action="ack"][data-seq="${seq}"]`);
    await page.locator(`#alarms .alarm[data-seq="${seq}"]`).waitFor({ state: 'detached' });
    expect(await page.getAttribute('body', 'data-alarm-sound')).toBe('off');
    const acks = entriesAfter('alarm_ack', before);
    expect(acks.map((a) => ({ alarmSeq: a.payload.alarmSeq, operator: a.payload.operator }))).toEqual([
      { alarmSeq: seq, operator: 'operator-1' },
    ]);
  });

  it('opens a lane in an emergency after a reason and a confirmation', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    const before = rig.site.journal.lastSeq();
    const openedBefore = rig.opened.length;
    expect(rig.doorReleased()).toBe(false);
    await page.click('.tile[data-lane="north-ped-out"] [data-action="open"]');
    await page.waitForSelector('#open-dialog[open]');
    expect(rig.opened.length).toBe(openedBefore);
    expect(await page.textContent('#open-lane')).toContain('north-ped-out');
    // The first click only asked; without a reason the confirmation is refused here.
    await page.click('#open-confirm');
    expect(await page.textContent('#open-error')).not.toBe('');
    expect(rig.opened.length).toBe(openedBefore);

    await page.fill('#open-reason', '救护车 ambulance');
    await page.click('#open-confirm');
    await waitFor('the emergency open at the lane', () => rig.opened.length > openedBefore, WAIT_MS);
    expect(rig.opened.slice(openedBefore)).toEqual([{ laneId: 'north-ped-out', allow: true }]);
    // …and reached the lock: the simulated OSDP door module at the lane released its strike.
    await waitFor('the door module’s strike released', () => rig.doorReleased(), WAIT_MS);
    await page.waitForSelector('#open-dialog:not([open])', { state: 'attached' });
    const override = entriesAfter('decision', before).map((e) => e.payload.request.override);
    expect(override).toEqual([{ operator: 'operator-1', reason: '救护车 ambulance' }]);
  });

  it('switches the mode after a confirmation that says what changes, and journals it', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    const before = rig.site.journal.lastSeq();
    expect(await page.getAttribute('#mode-now', 'data-mode')).toBe('closed');
    await page.click('[data-action="mode"][data-mode="lockdown"]');
    await page.waitForSelector('#mode-dialog[open]');
    const effect = await page.textContent('#mode-effect');
    expect(effect).toContain('除值班工作人员和紧急放行外，任何人不得进出');
    expect(effect).toContain('nobody in or out but on-duty staff and emergency overrides');
    await page.fill('#mode-reason', '确诊病例 confirmed case');
    await page.click('#mode-confirm');
    await page.waitForSelector('#mode-now[data-mode="lockdown"]');
    expect(entriesAfter('mode', before).map((e) => e.payload)).toEqual([
      { from: 'closed', to: 'lockdown', operator: 'operator-1', reason: '确诊病例 confirmed case' },
    ]);

    // And back, so the other tests find the site closed; the closed mode says what it asks for.
    await page.click('[data-action="mode"][data-mode="closed"]');
    expect(await page.textContent('#mode-effect')).toContain('household exit quota');
    await page.fill('#mode-reason', '解除封控 lifted');
    await page.click('#mode-confirm');
    await page.waitForSelector('#mode-now[data-mode="closed"]');
    expect(rig.site.checkpoint.mode).toBe('closed');
  });

  it('switches every label between Chinese and English', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    expect(await page.textContent('#feed-heading')).toBe('通行记录');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.click('#lang-toggle');
    expect(await page.textContent('#feed-heading')).toBe('Passes and refusals');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('.tile[data-lane="north-ped-in"] .tile-name')).toBe('North pedestrian in');
    await page.click('#lang-toggle');
    expect(await page.textContent('#feed-heading')).toBe('通行记录');
  });

  it('registers a visitor, showing the API’s field errors beside their fields', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    const before = rig.site.journal.lastSeq();
    await page.click('[data-action="visitor"]');
    await page.waitForSelector('#visitor-dialog[open]');
    await page.fill('#visitor-form [name="idNumber"]', '12345');
    await page.click('#visitor-form button[type=submit]');
    await expect.poll(() => page.textContent('[data-error-for="idNumber"]')).toContain('17 digits');
    expect(await page.textContent('[data-error-for="validUntil"]')).not.toBe('');
    expect(await page.textContent('[data-error-for="escorts"]')).toBe('');

    // Synthetic, with a valid check digit (GB 11643); escorted by resident r-1.
    await page.fill('#visitor-form [name="idNumber"]', '110105198001011238');
    await page.fill('#visitor-form [name="escorts"]', 'r-1');
    await page.fill('#visitor-form [name="validUntil"]', '2030-01-01T18:00');
    await page.click('#visitor-form button[type=submit]');
    await expect.poll(() => page.textContent('#visitor-done')).toContain('已登记');
    expect(await page.textContent('[data-error-for="idNumber"]')).toBe('');
    const registered = entriesAfter('operator', before).map((e) => [e.payload.action, e.payload.operator]);
    expect(registered).toEqual([['visitor.register', 'operator-1']]);
  });

  it('shows the shift handover report in a printable view', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    await page.evaluate('window.print = () => { document.body.dataset.printed = "yes"; }');
    await page.click('[data-action="report"]');
    await page.waitForSelector('#report-dialog[open]');
    await expect.poll(() => page.textContent('#report-text')).toContain('Shift handover report');
    await page.click('#report-print');
    expect(await page.getAttribute('body', 'data-printed')).toBe('yes');
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#app')).toBe(false);
    expect(await page.isVisible('#report-text')).toBe(true);
    expect(await page.isVisible('#report-print')).toBe(false);
  });

  it('fills the feed with the passes made before the page was opened', async () => {
    rig.pass('east-ped-out', 'A0000001');
    const before = entriesAfter('decision', 0).at(-1);
    const page = await freshPage();
    await logIn(page, 'operator-1');
    await page.waitForSelector(`#feed .feed-row[data-seq="${before?.seq}"]`);
  });

  it('takes over the shift: the dialog lists the open alarms, and taking over acknowledges them', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    await page.waitForSelector('#duty-panel[data-empty="true"]');
    const lastSeq = rig.site.journal.lastSeq();
    rig.fever('north-ped-in', 'A0000003');
    const fever = entriesAfter('decision', lastSeq).at(-1);
    await page.waitForSelector(`#alarms .alarm[data-seq="${fever?.seq}"]`);
    await page.click('#duty-handover');
    await page.waitForSelector(`#handover-alarms li[data-seq="${fever?.seq}"]`);
    await page.click('#handover-confirm');
    await page.waitForSelector('#duty-guards li[data-guard="operator-1"]');
    await page.waitForSelector(`#alarms .alarm[data-seq="${fever?.seq}"]`, { state: 'detached' });
    const handover = entriesAfter('duty', lastSeq).at(-1);
    expect(handover?.payload).toMatchObject({ action: 'handover', guard: 'operator-1', via: 'dashboard' });
    expect(handover?.payload.acknowledged).toContain(fever?.seq);
    expect(entriesAfter('alarm_ack', lastSeq).map((a) => a.payload.alarmSeq)).toContain(fever?.seq);
    // Going off duty leaves the checkpoint empty again.
    await page.click('#duty-logout');
    await page.waitForSelector('#duty-panel[data-empty="true"]');
  });

  it('says when the journal cannot be written (a real SQLITE_FULL), and no longer once the held passes landed', async () => {
    const { db, checkpoint } = rig.site;
    const lastSeq = rig.site.journal.lastSeq();
    // The database may not grow past its size now: SQLite's own "database or disk is full".
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      for (let i = 0; i < 500 && checkpoint.journalStatus().held === 0; i++)
        rig.pass('north-ped-in', `B${i}`);
      expect(checkpoint.journalStatus().held).toBeGreaterThan(0);
      const page = await freshPage();
      await logIn(page, 'operator-1');
      const banner = page.locator('#journal-banner');
      await banner.waitFor();
      // The rig has no spill file: the banner says the held entries are in memory only.
      expect(await banner.textContent()).toMatch(
        /^通行日志无法写入.*暂存条数: (\d+), 其中仅在内存（断电即丢失）: \1\.$/,
      );
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
    // The next retry (every 5 s by default) lands the held entries.
    await expect
      .poll(
        () => {
          checkpoint.catchUp();
          return checkpoint.journalStatus().held;
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(0);
    expect(entriesAfter('alarm', lastSeq).map((e) => e.payload.code)).toContain('JOURNAL_UNAVAILABLE');
    const page = await freshPage();
    await logIn(page, 'operator-1');
    expect(await page.isVisible('#journal-banner')).toBe(false);
  });

  it('shows a technician alarms and devices but no action buttons, and no sound', async () => {
    const page = await freshPage();
    await logIn(page, 'technician-1');
    expect(await page.locator('.tile').count()).toBe(6);
    // A critical alarm a technician sees but may not acknowledge (it stays open for the screenshot).
    rig.fever('north-ped-in', 'A0000002');
    await page.waitForSelector('#alarms .alarm.critical[data-code="FEVER"]');
    await page.waitForSelector('#devices tr[data-device]');
    expect(await page.locator('[data-action]:visible').count()).toBe(0);
    expect(await page.isVisible('.occupancy-panel')).toBe(false);
    expect(await page.getAttribute('body', 'data-alarm-sound')).toBe('off');
  });

  it('reconnects the live feed by itself, with a banner meanwhile; a refused token goes back to log-in', async () => {
    const page = await freshPage();
    let connections = 0;
    let dropFirst = true;
    let refuse = false;
    await page.routeWebSocket(/\/api\/live$/, (socket) => {
      connections += 1;
      if (refuse) {
        socket.onMessage(() => void socket.close({ code: 4401, reason: 'log in again' }));
        return;
      }
      const server = socket.connectToServer();
      server.onMessage((message) => {
        socket.send(message);
        if (dropFirst && String(message).includes('"ready"')) {
          dropFirst = false;
          setTimeout(() => void socket.close({ code: 1012, reason: 'restarting' }), 200);
        }
      });
    });
    await page.goto(rig.url);
    await page.fill('#login-user', 'operator-1');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#reconnecting:not([hidden])');
    await page.waitForSelector('#reconnecting[hidden]', { state: 'attached' });
    expect(connections).toBe(2);
    rig.pass('east-ped-in', 'A0000002');
    await page.waitForSelector('#feed .feed-row[data-lane="east-ped-in"]');

    refuse = true;
    await page.reload();
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.textContent('#login-error')).not.toBe('');
  });

  it('has no horizontal scrollbar at 1366×768 or at tablet width, and saves a screenshot', async () => {
    const page = await freshPage();
    await logIn(page, 'operator-1');
    rig.pass('east-ped-out', 'A0000001');
    await page.waitForSelector('#feed .feed-row');
    const fits = 'document.documentElement.scrollWidth <= document.documentElement.clientWidth';
    for (const lang of ['zh', 'en']) {
      for (const viewport of [
        { width: 1366, height: 768 },
        { width: 768, height: 1024 },
      ]) {
        await page.setViewportSize(viewport);
        await page.waitForFunction(`window.innerWidth === ${viewport.width}`);
        expect(await page.evaluate(fits), `${lang} at ${viewport.width}×${viewport.height}`).toBe(true);
      }
      if (lang === 'zh') await page.click('#lang-toggle');
    }
    await page.click('#lang-toggle');
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForFunction('window.innerWidth === 1366');
    const path = resolve(ARTIFACTS, 'dashboard-1366.png');
    await page.screenshot({ path });
    expect(statSync(path).size).toBeGreaterThan(10_000);
  });
});
