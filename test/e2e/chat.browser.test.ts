/**
 * The chat in real headless Chromium: the app runs as `npm start` runs it (local functions host + the
 * embedded emulator, as a child process), pages are driven by playwright-core.
 *
 * "Did not receive" is proven with a marker: messages to one connection arrive in the order the service
 * accepted them, so once a later broadcast has arrived, an earlier message that was routed to this user
 * would already be there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { projectRoot, startApp, type RunningApp } from './appProcess';
import { launchChromium } from './browser';
import { ChatUser } from './chatPage';

jest.setTimeout(120000);

let app: RunningApp;
let browser: Browser;
let alice: ChatUser;
let bob: ChatUser;
let carol: ChatUser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchChromium();
  alice = await ChatUser.open(browser, app.pageUrl, 'alice');
  bob = await ChatUser.open(browser, app.pageUrl, 'bob');
  carol = await ChatUser.open(browser, app.pageUrl, 'carol');
});

afterAll(async () => {
  await browser?.close();
  const code = await app?.stop();
  expect(code).toBe(0);
});

async function marker(from: ChatUser, ...readers: ChatUser[]): Promise<void> {
  const text = `marker ${Math.random().toString(36).slice(2)}`;
  await from.send(text);
  for (const reader of readers) await reader.waitForMessage(text);
}

test('the page shows who you are and that you are connected', async () => {
  expect(await alice.page.textContent('#me')).toBe('alice');
  expect(await alice.page.textContent('#status-text')).toBe('Connected');
  expect(await alice.page.textContent('#connection-id')).toMatch(/\S{8,}/);
});

test('two users chat: a message to everyone reaches both, with its sender', async () => {
  await alice.send('hello everyone');
  const atBob = await bob.waitForMessage('hello everyone');
  expect(atBob.sender).toBe('alice');
  expect((await alice.waitForMessage('hello everyone')).sender).toBe('alice');

  await bob.send('hi alice');
  expect((await alice.waitForMessage('hi alice')).sender).toBe('bob');
});

test('a direct message reaches only its user', async () => {
  await alice.send('just for carol', { user: 'carol' });
  const atCarol = await carol.waitForMessage('just for carol');
  expect(atCarol.sender).toBe('alice');
  expect(atCarol.scope).toBe('to carol');

  await marker(alice, bob, carol);
  expect(await bob.hasMessage('just for carol')).toBe(false);
});

test('a group message reaches only members, before and after leave', async () => {
  await bob.joinGroup('team');
  await alice.send('team meeting at 10', { group: 'team' });
  const atBob = await bob.waitForMessage('team meeting at 10');
  expect(atBob.scope).toBe('in team');
  await marker(alice, carol);
  expect(await carol.hasMessage('team meeting at 10')).toBe(false);

  await bob.leaveGroup('team');
  await alice.send('team meeting moved', { group: 'team' });
  await marker(alice, bob);
  expect(await bob.hasMessage('team meeting moved')).toBe(false);
});

test('a page that reloads reconnects as the same user and keeps receiving', async () => {
  await bob.page.reload();
  await bob.waitConnected();
  expect(await bob.page.textContent('#me')).toBe('bob');
  await alice.send('welcome back bob', { user: 'bob' });
  expect((await bob.waitForMessage('welcome back bob')).sender).toBe('alice');
});

test('a screenshot of the chat is saved for a person to look at', async () => {
  const file = path.join(projectRoot, 'test-results', 'chat.png');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await alice.page.screenshot({ path: file, fullPage: true });
  const size = fs.statSync(file).size;
  expect(size).toBeGreaterThan(10000);
});
