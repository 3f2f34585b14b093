import type { InvocationContext } from '@azure/functions';
import { signalRApp, signalROutput, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { chatMessage, messageText, recipientUser, type ChatMessage } from '../src/app/chatHub';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';

/** Hub method `sendToUser(userId, text)`: every connection of that user receives `newMessage`. Returns the message as sent. */
const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRMessages' });

export async function hubSendToUser(invocation: SignalRInvocationContext, context: InvocationContext): Promise<ChatMessage> {
  const [userId, text] = invocation.Arguments ?? [];
  const recipient = recipientUser(userId);
  const message = chatMessage(invocation.UserId, messageText(text), { kind: 'user', name: recipient });
  context.extraOutputs.set(signalR, { target: 'newMessage', arguments: [message], userId: recipient });
  return message;
}

signalRApp.generic('hubSendToUser', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'messages', event: 'sendToUser', parameterNames: ['userId', 'text'] }),
  extraOutputs: [signalR],
  handler: hubSendToUser,
});
