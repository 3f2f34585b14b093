import { app, type HttpFunctionOptions, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { handleDaprRequest } from '../src/bindings/dapr';
import { getSignalRService } from '../src/client/service';
import { readFunctionAppSettings } from '../src/app/appSettings';
import { readJsonBody } from '../src/app/body';
import { guard, jsonResponse } from '../src/app/guard';

/**
 * `POST /api/dapr/signalr`: the request contract of Dapr's `bindings.azure.signalr` output binding
 * (`{data: {Target, Arguments}, metadata: {group|user|hub}, operation}`, see src/bindings/dapr.ts), so
 * code written against that Dapr binding can post the same body here. `create` answers 204 once sent,
 * `clientNegotiate` 200 `{url, accessToken}`. Default hub: SignalRHubName.
 *
 * This is a server-to-server endpoint (like Dapr's sidecar API): it takes targets and users from the
 * request, so it is `authLevel: 'function'` (a function key is required on Azure) and the caller-identity
 * rules of the browser-facing functions do not apply.
 */
export async function daprSignalRHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return guard(context, async () => {
    const settings = readFunctionAppSettings();
    const body = await readJsonBody(request);
    const daprContext: Parameters<typeof handleDaprRequest>[1] = {
      service: getSignalRService(),
      defaultHub: settings.hubName,
      tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
    };
    if (settings.restTimeoutMs !== undefined) daprContext.callOptions = { timeoutMs: settings.restTimeoutMs };
    const result = await handleDaprRequest(body, daprContext);
    if (result.operation === 'clientNegotiate') return jsonResponse(200, result.connectionInfo);
    return { status: 204 };
  });
}

export const daprSignalROptions: HttpFunctionOptions = {
  methods: ['POST'],
  authLevel: 'function',
  route: 'dapr/signalr',
  handler: daprSignalRHandler,
};

app.http('daprSignalR', daprSignalROptions);
