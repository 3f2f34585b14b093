/** What a person does on the chat page, as Playwright steps; selectors are the page's element ids. */
import { expect } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';

/**
 * The callbacks given to page.evaluate / waitForFunction run inside the browser, where `document` exists. The
 * project compiles without the DOM library (it is Node code), so this module declares the little it uses.
 */
interface PageElement {
  textContent: string | null;
  hidden: boolean;
  value?: string;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
};

export interface ShownMessage {
  sender: string;
  text: string;
  scope: string;
}

export class ChatUser {
  private constructor(readonly name: string, readonly page: Page) {}

  static async open(browser: Browser, pageUrl: string, name: string): Promise<ChatUser> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    const user = new ChatUser(name, page);
    await page.goto(pageUrl);
    await page.fill('#name', name);
    await page.click('#login-form button[type=submit]');
    await user.waitConnected();
    return user;
  }

  /**
   * A browser signed in by App Service authentication, which cannot exist here: the platform's part is played by
   * request routing: /.auth/me lists a principal and every call to the app carries x-ms-client-principal-id,
   * exactly what the platform adds. The page itself is unchanged and never shows its name form.
   */
  static async openSignedIn(browser: Browser, pageUrl: string, principalId: string): Promise<ChatUser> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    await context.route('**/.auth/me', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify([{ provider_name: 'aad', user_id: `${principalId}@example.test` }]) }),
    );
    await context.route('**/api/**', (route) =>
      route.continue({ headers: { ...route.request().headers(), 'x-ms-client-principal-id': principalId } }),
    );
    const page = await context.newPage();
    const user = new ChatUser(principalId, page);
    await page.goto(pageUrl);
    await user.waitConnected();
    return user;
  }

  async waitConnected(): Promise<void> {
    await this.page.waitForFunction(() => document.getElementById('status-text')?.textContent === 'Connected', undefined, { timeout: 15000 });
  }

  async send(text: string, to: { user?: string; group?: string } = {}): Promise<void> {
    const scope = to.user ? 'user' : to.group ? 'group' : 'all';
    await this.page.selectOption('#scope', scope);
    if (scope !== 'all') await this.page.fill('#recipient', to.user ?? to.group ?? '');
    await this.page.fill('#text', text);
    await this.page.click('#send');
    // The input is cleared once the function accepted the message; an error is shown otherwise.
    await this.page.waitForFunction(
      () => document.getElementById('text')?.value === '' || !document.getElementById('send-error')?.hidden,
    );
    expect(await this.error()).toBe('');
  }

  async joinGroup(group: string): Promise<void> {
    await this.page.fill('#group-name', group);
    await this.page.click('#join-group');
    await this.page.waitForSelector(`#groups button[data-group="${group}"]`);
  }

  async leaveGroup(group: string): Promise<void> {
    await this.page.click(`#groups button[data-group="${group}"]`);
    await this.page.waitForSelector(`#groups button[data-group="${group}"]`, { state: 'detached' });
  }

  async error(): Promise<string> {
    return this.page.evaluate(() => {
      const element = document.getElementById('send-error');
      return element && !element.hidden ? element.textContent ?? '' : '';
    });
  }

  async messages(): Promise<ShownMessage[]> {
    return this.page.$$eval('#messages li:not(.system)', (items) =>
      items.map((item) => ({
        sender: item.querySelector('.sender')?.textContent ?? '',
        text: item.querySelector('.text')?.textContent ?? '',
        scope: item.querySelector('.scope')?.textContent ?? '',
      })),
    );
  }

  /** Waits until a message with this text is shown, and returns it. */
  async waitForMessage(text: string): Promise<ShownMessage> {
    await this.page.waitForFunction(
      (wanted) => Array.from(document.querySelectorAll('#messages li .text')).some((element) => element.textContent === wanted),
      text,
      { timeout: 15000 },
    );
    const found = (await this.messages()).find((message) => message.text === text);
    if (!found) throw new Error(`message "${text}" vanished`);
    return found;
  }

  /** Waits until a system line (arrivals, departures, reconnects) with this text is shown. */
  async waitForSystemLine(fragment: string): Promise<void> {
    await this.page.waitForFunction(
      (wanted) => Array.from(document.querySelectorAll('#messages li.system')).some((element) => (element.textContent ?? '').includes(wanted)),
      fragment,
      { timeout: 15000 },
    );
  }

  async systemLines(): Promise<string[]> {
    return this.page.$$eval('#messages li.system', (items) => items.map((item) => item.textContent ?? ''));
  }

  /** Closes the tab, as a person closing it would. */
  async close(): Promise<void> {
    await this.page.context().close();
  }

  async hasMessage(text: string): Promise<boolean> {
    return (await this.messages()).some((message) => message.text === text);
  }
}
