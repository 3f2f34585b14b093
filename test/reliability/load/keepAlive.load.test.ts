/**
 * `sendMessage` while something between the app and the service closes kept-alive connections: the long runs
 * (test/reliability/keepAliveFaults.ts says what is run and observed), long enough for the idle-close race to be
 * met now and then when the machine is busy.
 */
import { keepAliveSuite } from '../keepAliveFaults';

keepAliveSuite({
  suite: 'keep-alive-load',
  closeOnReuse: { calls: 2_000, concurrency: 8 },
  closeIdle: { calls: 2_400, concurrency: 16 },
  restTimeoutMs: 10_000,
});
