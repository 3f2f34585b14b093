/**
 * The REST handler remembers tokens it verified; these checks show the memory never lets through what a full
 * verification would refuse: the same token on another URL or after it expired.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { FakeClock } from '../support/fakeClock';
import { call, sdkAudience, serviceToken } from './rest-support';

let emulator: RunningEmulator;
// Starts at the real time (tokens are signed with it) and only moves when a test advances it.
const clock = new FakeClock(Date.now());
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, clock });
});
afterAll(() => emulator.close());

const V = '?api-version=2022-06-01';

test('a verified token is accepted again for its own URL, refused for another hub', async () => {
  const path = `/api/hubs/chat/:send${V}`;
  const token = `Bearer ${serviceToken(sdkAudience(emulator.url, path))}`;
  for (let i = 0; i < 3; i++) {
    expect((await call(emulator.url, 'POST', path, { body: { target: 't' }, auth: token })).status).toBe(202);
  }
  const other = await call(emulator.url, 'POST', `/api/hubs/other/:send${V}`, { body: { target: 't' }, auth: token });
  expect(other.status).toBe(401);
});

test('a token verified while valid is refused once it has expired', async () => {
  const path = `/api/hubs/chat/:send${V}`;
  // Expires 60 s from now; the handler allows 5 s of clock skew, so it is still good at +64 s and refused at +67 s.
  const expiresIn = 60;
  const token = `Bearer ${serviceToken(sdkAudience(emulator.url, path), { expiresIn })}`;
  expect((await call(emulator.url, 'POST', path, { body: { target: 't' }, auth: token })).status).toBe(202);
  clock.advance(64_000);
  expect((await call(emulator.url, 'POST', path, { body: { target: 't' }, auth: token })).status).toBe(202);
  clock.advance(3_000);
  const late = await call(emulator.url, 'POST', path, { body: { target: 't' }, auth: token });
  expect(late.status).toBe(401);
  expect(JSON.stringify(late.json)).toMatch(/expired/i);
});
