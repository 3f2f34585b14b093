/**
 * The output adapter the way an app function uses it: a handler that sets `message` (or, when a function, what it
 * returns for that call) on a `signalR` output, wrapped by `withSignalR` with `env` as its app settings. Returns
 * one invocation, which rejects unless it answered 202.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { signalROutput, withSignalR, type SignalRMessage } from '../../src/bindings';

export function adapterSender(env: Record<string, string>, hub: string, message: SignalRMessage | (() => SignalRMessage)): () => Promise<void> {
  const output = signalROutput.signalR({ hubName: hub, name: 'signalRMessages' });
  const send = withSignalR(
    {
      methods: ['POST'],
      authLevel: 'anonymous',
      extraOutputs: [output],
      handler: async (_request, context) => {
        context.extraOutputs.set(output, typeof message === 'function' ? message() : message);
        return { status: 202 };
      },
    },
    { env: () => env },
  );
  const request = new HttpRequest({ method: 'POST', url: 'http://127.0.0.1/api/send' });
  return async () => {
    const response = await send.handler(request, new InvocationContext({ functionName: 'send' }));
    const status = 'status' in response ? response.status : undefined;
    if (status !== 202) throw new Error(`adapter answered ${String(status)}: ${JSON.stringify('jsonBody' in response ? response.jsonBody : undefined)}`);
  };
}
