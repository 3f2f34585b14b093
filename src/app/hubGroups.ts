/**
 * `joinGroup` / `leaveGroup` for the hub methods: a signed-in caller's user joins or leaves (so the membership
 * follows it to every tab and survives a reload, as with the HTTP `addToGroup`), an anonymous caller's
 * connection does. The service call is made here, not through an output binding, so the answer (the caller's
 * groups) is only given once the service has done it.
 */
import type { SignalRInvocationContext } from '../bindings/signalRTrigger';
import { getSignalRService } from '../client/service';
import { readFunctionAppSettings } from './appSettings';
import { chatGroups, recipientGroup } from './chatHub';

export async function changeGroup(invocation: SignalRInvocationContext, action: 'join' | 'leave'): Promise<string[]> {
  const group = recipientGroup(invocation.Arguments?.[0]);
  const settings = readFunctionAppSettings();
  const rest = getSignalRService().rest;
  const options = settings.restTimeoutMs === undefined ? {} : { timeoutMs: settings.restTimeoutMs };
  const user = invocation.UserId;
  if (user !== null) {
    if (action === 'join') await rest.addUserToGroup(settings.hubName, user, group, options);
    else await rest.removeUserFromGroup(settings.hubName, user, group, options);
  } else if (action === 'join') {
    await rest.addConnectionToGroup(settings.hubName, group, invocation.ConnectionId, options);
  } else {
    await rest.removeConnectionFromGroup(settings.hubName, group, invocation.ConnectionId, options);
  }
  const member = user ?? `connection:${invocation.ConnectionId}`;
  return action === 'join' ? chatGroups.joined(member, group) : chatGroups.left(member, group);
}
