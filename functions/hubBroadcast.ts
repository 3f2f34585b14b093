import type { InvocationContext } from '@azure/functions';
import { signalRApp, signalROutput, signalRTrigger, type SignalRInvocationContext } from '../src/bindings';
import { chatMessage, messageText, type ChatMessage } from '../src/app/chatHub';
import { APP_HUB_EXPRESSION } from '../src/app/signalRFunctions';

/**
 * Hub method `broadcast(text)`: everyone receives `newMessage` with the message, sent by the caller's user. Returns
 * the message as sent.
 */
const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRMessages' });

export async function hubBroadcast(invocation: SignalRInvocationContext, context: InvocationContext): Promise<ChatMessage> {
  const message = chatMessage(invocation.UserId, messageText(invocation.Arguments?.[0]), { kind: 'all', name: '' });
  context.extraOutputs.set(signalR, { target: 'newMessage', arguments: [message] });
  return message;
}

signalRApp.generic('hubBroadcast', {
  trigger: signalRTrigger({ hubName: APP_HUB_EXPRESSION, category: 'messages', event: 'broadcast', parameterNames: ['text'] }),
  extraOutputs: [signalR],
  handler: hubBroadcast,
});
