import { app, type HttpFunctionOptions, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { signalROutput, withSignalR, normalizeSignalROutput, SignalROutputValidationError, type SignalRMessage } from '../src/bindings';
import type { NormalizedItem } from '../src/bindings/outputItems';
import { readFunctionAppSettings } from '../src/app/appSettings';
import { readJsonBody } from '../src/app/body';
import { badRequest } from '../src/bindings/httpErrors';
import { guard, jsonResponse } from '../src/app/guard';
import { resolveCaller } from '../src/app/identity';
import { applySenderRule } from '../src/app/sender';
import { APP_HUB_EXPRESSION, appSignalRAdapter } from '../src/app/signalRFunctions';

/**
 * `POST /api/sendMessage` with a SignalRMessage or an array of them (camelCase or PascalCase keys):
 * `{target, arguments?, connectionId?, userId?, groupName?}`, routed connectionId > userId > groupName >
 * everyone, sent in array order after validation of the whole batch (one bad item: 400, nothing sent).
 * Answers 202 `{sent: n}` once the service has accepted every message (it answers 202 even if nobody listens).
 *
 * Sender: see src/app/sender.ts — object arguments carry `sender` = the caller's verified user id.
 * Group actions are not accepted here (use addToGroup / removeFromGroup).
 */
export const MAX_MESSAGES_PER_REQUEST = 100;

const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRMessages' });

function toOutputMessage(item: NormalizedItem, args: unknown[]): SignalRMessage {
  const op = item.operation;
  switch (op.kind) {
    case 'sendToConnection':
      return { target: op.target, arguments: args, connectionId: op.connectionId };
    case 'sendToUser':
      return { target: op.target, arguments: args, userId: op.userId };
    case 'sendToGroup':
      return { target: op.target, arguments: args, groupName: op.groupName };
    case 'broadcast':
      return { target: op.target, arguments: args };
    default:
      throw badRequest('InvalidMessage', "sendMessage accepts messages only; use addToGroup or removeFromGroup for group actions", item.index === undefined ? 'action' : `[${item.index}].action`);
  }
}

export async function sendMessageHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return guard(context, async () => {
    const settings = readFunctionAppSettings();
    const caller = resolveCaller(request, settings.allowClientUserId);
    const body = await readJsonBody(request);
    if (Array.isArray(body)) {
      if (body.length === 0) throw badRequest('InvalidBody', 'the array of messages is empty');
      if (body.length > MAX_MESSAGES_PER_REQUEST) {
        throw badRequest('TooManyMessages', `at most ${MAX_MESSAGES_PER_REQUEST} messages per request, got ${body.length}`);
      }
    } else if (typeof body !== 'object' || body === null) {
      throw badRequest('InvalidBody', 'the request body must be a SignalRMessage object or an array of them');
    }
    let items: NormalizedItem[];
    try {
      items = normalizeSignalROutput(body);
    } catch (error) {
      if (error instanceof SignalROutputValidationError) {
        throw badRequest('InvalidMessage', error.message.replace(/^signalR output/, 'message'), error.path);
      }
      throw error;
    }
    const messages = items.map((item) => {
      const op = item.operation;
      const args = 'arguments' in op ? op.arguments : [];
      return toOutputMessage(item, applySenderRule(args, caller, item.index === undefined ? '' : `[${item.index}]`));
    });
    context.extraOutputs.set(signalR, Array.isArray(body) ? messages : messages[0]);
    return jsonResponse(202, { sent: messages.length });
  });
}

export const sendMessageOptions: HttpFunctionOptions = withSignalR(
  {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: 'sendMessage',
    extraOutputs: [signalR],
    handler: sendMessageHandler,
  },
  appSignalRAdapter,
);

app.http('sendMessage', sendMessageOptions);
