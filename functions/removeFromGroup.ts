import { app, type HttpFunctionOptions, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { signalROutput, withSignalR } from '../src/bindings';
import { readFunctionAppSettings } from '../src/app/appSettings';
import { readGroupAction } from '../src/app/groupMembership';
import { guard, jsonResponse } from '../src/app/guard';
import { APP_HUB_EXPRESSION, appSignalRAdapter } from '../src/app/signalRFunctions';

/**
 * `POST /api/removeFromGroup` `{groupName?, userId? | connectionId?}`: the user or connection leaves the
 * group; without `groupName` it leaves every group.
 * Identity rules: src/app/groupMembership.ts. Answers 200 with the group action performed, once the
 * service confirmed it (a connection the service does not know is 404 `SignalRNotFound`).
 */
const signalR = signalROutput.signalR({ hubName: APP_HUB_EXPRESSION, name: 'signalRGroupAction' });

export async function removeFromGroupHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return guard(context, async () => {
    const settings = readFunctionAppSettings();
    const groupAction = await readGroupAction(request, 'remove', settings);
    context.extraOutputs.set(signalR, groupAction);
    return jsonResponse(200, groupAction);
  });
}

export const removeFromGroupOptions: HttpFunctionOptions = withSignalR(
  {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: 'removeFromGroup',
    extraOutputs: [signalR],
    handler: removeFromGroupHandler,
  },
  appSignalRAdapter,
);

app.http('removeFromGroup', removeFromGroupOptions);
