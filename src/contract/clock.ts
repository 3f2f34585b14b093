/**
 * Time as the emulator's state machines and the client's endpoint health checks see it: the current time and
 * one-shot timers. Injected, so unit tests drive expiries, timeouts, keep-alives and health rounds with a fake
 * clock instead of sleeping. Defined here, once, because both sides schedule with it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `delayMs`; the returned function cancels it. A timer never keeps the process alive. */
  schedule(callback: () => void, delayMs: number): () => void;
}

/** setTimeout's ceiling; a longer delay is scheduled in steps by the caller. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
