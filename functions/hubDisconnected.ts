import type { InvocationContext } from '@azure/functions';
import { signalRApp, signalROutput, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { chatGroups } from '../src/app/chatHub';
import { readFunctionAppSettings } from '../src/app/appSettings';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';
import { getSignalRService } from '../src/client/service';

/**
 * `disconnected`: once a user's last connection has ended (the service knows no connection of that user any more),
 * everyone hears `userLeft {userId}`. A user with another tab still open has not left.
 */
const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRMessages' });

export async function hubDisconnected(invocation: SignalRInvocationContext, context: InvocationContext): Promise<void> {
  chatGroups.forget(`connection:${invocation.ConnectionId}`);
  const user = invocation.UserId;
  if (user === null) return;
  const settings = readFunctionAppSettings();
  const stillConnected = await getSignalRService().rest.userExists(settings.hubName, user, settings.restTimeoutMs === undefined ? {} : { timeoutMs: settings.restTimeoutMs });
  if (!stillConnected) context.extraOutputs.set(signalR, { target: 'userLeft', arguments: [{ userId: user }] });
}

signalRApp.generic('hubDisconnected', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'connections', event: 'disconnected' }),
  extraOutputs: [signalR],
  handler: hubDisconnected,
});
