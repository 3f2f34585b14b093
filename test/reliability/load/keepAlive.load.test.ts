/**
 * `sendMessage` while something between the app and the service closes kept-alive connections: the long runs
 * (test/reliability/keepAliveFaults.ts says what is run and observed). Long enough that the idle-close race, which
 * hits about one call in a hundred or more, happens many times: the run fails if it never does.
 */
import { keepAliveSuite } from '../keepAliveFaults';

keepAliveSuite({
  suite: 'keep-alive-load',
  closeOnReuse: { calls: 2_000, concurrency: 8 },
  closeIdle: { calls: 2_400, concurrency: 16 },
  restTimeoutMs: 10_000,
  requireIdleRace: true,
});
