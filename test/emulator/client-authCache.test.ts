/**
 * The client endpoint remembers tokens it verified recently (a client shows its token to negotiate, then again to
 * open its transport); these checks show the memory never lets through what a full verification would refuse:
 * the same token for another hub, from a client that addressed another host, or after it expired.
 */
import http from 'node:http';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { FakeClock } from '../support/fakeClock';
import { clientToken } from './client-harness';

let emulator: RunningEmulator;
// Starts at the real time (tokens are signed with it) and only moves when a test advances it.
const clock = new FakeClock(Date.now());
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, clock });
});
afterAll(() => emulator.close());

async function negotiate(hub: string, token: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${emulator.url}/client/negotiate?hub=${hub}&negotiateVersion=1`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.text() };
}

test('a verified token is accepted again for its hub, refused for another hub', async () => {
  const token = clientToken(emulator, 'chat', { user: 'ann' });
  for (let i = 0; i < 3; i++) expect((await negotiate('chat', token)).status).toBe(200);
  const other = await negotiate('other', token);
  expect(other.status).toBe(401);
  expect(other.body).toMatch(/audience/);
});

test('a token verified for one host is checked again when a request names another', async () => {
  const token = clientToken(emulator, 'chat', { user: 'ann' });
  expect((await negotiate('chat', token)).status).toBe(200);
  // fetch sets Host from the URL, so node:http sends a request that names another host.
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${emulator.url}/client/negotiate?hub=chat&negotiateVersion=1`);
    const req = http.request(url, { method: 'POST', agent: false, headers: { Authorization: `Bearer ${token}`, Host: 'example.org', 'Content-Length': 0 } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  expect(status).toBe(401);
});

test('a token verified while valid is refused once it has expired', async () => {
  // Expires 60 s from now; the endpoint allows 5 s of clock skew, so it is still good at +64 s and refused at +67 s.
  const token = clientToken(emulator, 'chat', { user: 'bob', expiresInSeconds: 60 });
  expect((await negotiate('chat', token)).status).toBe(200);
  clock.advance(64_000);
  expect((await negotiate('chat', token)).status).toBe(200);
  clock.advance(3_000);
  const late = await negotiate('chat', token);
  expect(late.status).toBe(401);
  expect(late.body).toMatch(/expired/i);
});
