import { signalRApp, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { changeGroup } from '../src/app/hubGroups';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';

/** Hub method `leaveGroup(groupName)`: the caller leaves the group. Returns the caller's groups. */
export function hubLeaveGroup(invocation: SignalRInvocationContext): Promise<string[]> {
  return changeGroup(invocation, 'leave');
}

signalRApp.generic('hubLeaveGroup', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'messages', event: 'leaveGroup', parameterNames: ['groupName'] }),
  handler: hubLeaveGroup,
});
