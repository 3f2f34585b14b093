/**
 * `sendMessage` while something between the app and the service closes kept-alive connections: the quick runs
 * (test/reliability/keepAliveFaults.ts says what is run and observed; the long runs are in `npm run test:load`).
 */
import { keepAliveSuite } from './keepAliveFaults';

keepAliveSuite({
  suite: 'keep-alive-faults',
  closeOnReuse: { calls: 300, concurrency: 4 },
  closeIdle: { calls: 200, concurrency: 8 },
  restTimeoutMs: 5_000,
});
