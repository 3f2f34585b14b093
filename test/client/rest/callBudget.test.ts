import { CallBudget } from '../../../src/client/rest/callBudget';

/** Resolves once the budget's timer has had the time to fire. */
const after = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('CallBudget', () => {
  it('aborts the request signal and calls its listeners as an AbortSignal does when the budget runs out', async () => {
    const budget = new CallBudget(20);
    const heard: string[] = [];
    const request = budget.requestSignal;
    // As axios's fetch adapter reads it: `this` is the signal, and its reason says the time ran out.
    request.addEventListener?.('abort', function (this: { reason: unknown }, event: Event) {
      heard.push(`${event.type}: ${(this.reason as DOMException).name}`);
    });
    const removed = (): void => {
      heard.push('removed');
    };
    request.addEventListener?.('abort', removed);
    request.removeEventListener?.('abort', removed);
    expect(request.aborted).toBe(false);
    expect(budget.aborted).toBe(false);
    await after(60);
    expect(request.aborted).toBe(true);
    expect(budget.aborted).toBe(true);
    expect(heard).toEqual(['abort: TimeoutError']);
    budget.dispose();
  });

  it('gives an AbortSignal on demand, already aborted when asked for after the budget ran out', async () => {
    const early = new CallBudget(20);
    const signal = early.signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(early.signal).toBe(signal);
    await after(60);
    expect(signal.aborted).toBe(true);

    const late = new CallBudget(20);
    await after(60);
    expect(late.signal.aborted).toBe(true);
  });

  it('does not abort once disposed: the call is over', async () => {
    const budget = new CallBudget(20);
    const signal = budget.signal;
    budget.dispose();
    await after(60);
    expect(budget.aborted).toBe(false);
    expect(signal.aborted).toBe(false);
    expect(budget.requestSignal.aborted).toBe(false);
  });

  it("with a caller's signal, requests carry a signal that the caller's abort aborts, with the caller's reason", () => {
    const caller = new AbortController();
    const budget = new CallBudget(60_000, caller.signal);
    const request = budget.requestSignal;
    expect(request).toBe(budget.signal);
    caller.abort(new Error('user went away'));
    expect(budget.aborted).toBe(true);
    expect(request.aborted).toBe(true);
    expect((request as AbortSignal).reason).toEqual(new Error('user went away'));
    budget.dispose();
  });

  it("with a caller's signal, the budget running out still aborts the request, with a timeout as the reason", async () => {
    const caller = new AbortController();
    const budget = new CallBudget(20, caller.signal);
    const request = budget.requestSignal as AbortSignal;
    await after(60);
    expect(caller.signal.aborted).toBe(false);
    expect(budget.aborted).toBe(true);
    expect(request.aborted).toBe(true);
    expect((request.reason as DOMException).name).toBe('TimeoutError');
  });

  it('sets its deadline timeoutMs from now', () => {
    const before = Date.now();
    const budget = new CallBudget(5_000);
    expect(budget.deadline).toBeGreaterThanOrEqual(before + 5_000);
    expect(budget.deadline).toBeLessThanOrEqual(Date.now() + 5_000);
    budget.dispose();
  });
});
