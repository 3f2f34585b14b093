import { signalRApp, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { changeGroup } from '../src/app/hubGroups';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';

/** Hub method `joinGroup(groupName)`: the caller (its user, or its connection when anonymous) joins. Returns the caller's groups. */
export function hubJoinGroup(invocation: SignalRInvocationContext): Promise<string[]> {
  return changeGroup(invocation, 'join');
}

signalRApp.generic('hubJoinGroup', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'messages', event: 'joinGroup', parameterNames: ['groupName'] }),
  handler: hubJoinGroup,
});
