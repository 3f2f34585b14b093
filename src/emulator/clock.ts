/** The emulator's time source: the shared definition in src/contract/clock.ts. */
export { systemClock, MAX_TIMER_DELAY_MS, type Clock } from '../contract/clock';
