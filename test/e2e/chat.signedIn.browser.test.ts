/**
 * The chat as deployed behind App Service authentication (README, "Switching to Azure"): client-stated user
 * ids are not allowed (SignalRAllowClientUserId=false) and the platform names the user. The page must use the
 * platform's identity and never state one itself, or every call would be a 403.
 */
import type { Browser } from 'playwright-core';
import { startApp, type RunningApp } from './appProcess';
import { launchChromium } from './browser';
import { ChatUser } from './chatPage';

jest.setTimeout(120000);

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp({ SignalRAllowClientUserId: 'false' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  expect(await app?.stop()).toBe(0);
});

test('signed-in users chat under their principal ids, with no name form and no client-stated id', async () => {
  const alice = await ChatUser.openSignedIn(browser, app.pageUrl, 'oid-alice');
  const bob = await ChatUser.openSignedIn(browser, app.pageUrl, 'oid-bob');
  expect(await alice.page.textContent('#me')).toBe('oid-alice');
  expect(await alice.page.isVisible('#login')).toBe(false);

  await alice.send('hello from a signed-in page');
  expect((await bob.waitForMessage('hello from a signed-in page')).sender).toBe('oid-alice');

  await bob.joinGroup('ops');
  await alice.send('ops only', { group: 'ops' });
  expect((await bob.waitForMessage('ops only')).scope).toBe('in ops');

  await bob.send('just for alice', { user: 'oid-alice' });
  expect((await alice.waitForMessage('just for alice')).sender).toBe('oid-bob');
});

test('without platform sign-in, a typed name is refused when client user ids are not allowed', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(app.pageUrl);
  await page.fill('#name', 'mallory');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => {
    const element = (globalThis as unknown as { document: { getElementById(id: string): { hidden: boolean; textContent: string | null } | null } }).document.getElementById('send-error');
    return element !== null && !element.hidden && (element.textContent ?? '') !== '';
  });
  expect(await page.textContent('#status-text')).not.toBe('Connected');
  expect(await page.textContent('#send-error')).toMatch(/403|SignalRAllowClientUserId|user id/i);
  await context.close();
});
