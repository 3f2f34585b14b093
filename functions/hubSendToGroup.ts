import type { InvocationContext } from '@azure/functions';
import { signalRApp, signalROutput, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { chatMessage, messageText, recipientGroup, type ChatMessage } from '../src/app/chatHub';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';

/** Hub method `sendToGroup(groupName, text)`: the group's members receive `newMessage`. Returns the message as sent. */
const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRMessages' });

export async function hubSendToGroup(invocation: SignalRInvocationContext, context: InvocationContext): Promise<ChatMessage> {
  const [groupName, text] = invocation.Arguments ?? [];
  const group = recipientGroup(groupName);
  const message = chatMessage(invocation.UserId, messageText(text), { kind: 'group', name: group });
  context.extraOutputs.set(signalR, { target: 'newMessage', arguments: [message], groupName: group });
  return message;
}

signalRApp.generic('hubSendToGroup', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'messages', event: 'sendToGroup', parameterNames: ['groupName', 'text'] }),
  extraOutputs: [signalR],
  handler: hubSendToGroup,
});
