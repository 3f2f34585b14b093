import type { InvocationContext } from '@azure/functions';
import { signalRApp, signalROutput, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';

/** `connected`: everyone hears `userJoined {userId}` when a signed-in user's connection opens. */
const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRMessages' });

export async function hubConnected(invocation: SignalRInvocationContext, context: InvocationContext): Promise<void> {
  if (invocation.UserId === null) return;
  context.extraOutputs.set(signalR, { target: 'userJoined', arguments: [{ userId: invocation.UserId }] });
}

signalRApp.generic('hubConnected', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'connections', event: 'connected' }),
  extraOutputs: [signalR],
  handler: hubConnected,
});
