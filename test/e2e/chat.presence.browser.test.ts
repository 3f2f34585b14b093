/**
 * Presence and hub methods in real Chromium: two users see each other arrive, chat through the hub methods
 * (the page invokes them; the service forwards them to the app's SignalR trigger functions), and one closing
 * the tab shows as leaving for the other.
 */
import type { Browser } from 'playwright-core';
import { startApp, type RunningApp } from './appProcess';
import { launchChromium } from './browser';
import { ChatUser } from './chatPage';

jest.setTimeout(120000);

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  const code = await app?.stop();
  expect(code).toBe(0);
});

test('two users see each other arrive, chat through the hub methods, and a closed tab shows as leaving', async () => {
  const erin = await ChatUser.open(browser, app.pageUrl, 'erin');
  const frank = await ChatUser.open(browser, app.pageUrl, 'frank');
  await erin.waitForSystemLine('frank joined');

  await frank.send('hello from a hub method');
  expect((await erin.waitForMessage('hello from a hub method')).sender).toBe('frank');
  await erin.send('only for frank', { user: 'frank' });
  expect(await frank.waitForMessage('only for frank')).toMatchObject({ sender: 'erin', scope: 'to frank' });
  // The direct message does not come back to its sender: the page shows the message the hub method returned.
  expect(await erin.waitForMessage('only for frank')).toMatchObject({ sender: 'erin', scope: 'to frank' });

  await frank.close();
  await erin.waitForSystemLine('frank left');
  expect((await erin.systemLines()).filter((line) => line.includes('frank left'))).toHaveLength(1);
  await erin.close();
});
