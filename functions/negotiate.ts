import { app, type HttpFunctionOptions, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getSignalRService, type NegotiateOptions } from '../src/client/service';
import { readFunctionAppSettings } from '../src/app/appSettings';
import { guard, jsonResponse } from '../src/app/guard';
import { resolveCaller } from '../src/app/identity';

/**
 * `GET|POST /api/negotiate` → `{url, accessToken}` for hub `SignalRHubName` (default `chat`), the answer the
 * @microsoft/signalr client follows to the service. The user in the token (`asrs.s.uid`) is the caller as
 * src/app/identity.ts decides: the platform's `x-ms-client-principal-id`, else (only with
 * SignalRAllowClientUserId=true) header `x-user-id` or query `userId`, else none (anonymous connection).
 * Token lifetime: SignalRTokenLifetimeSeconds (default 3600).
 *
 * WHY not the connection-info input binding: the user id here comes from one of several sources with
 * rules (403 on mismatch), which a single binding expression cannot express; the binding is for apps whose
 * user is exactly one expression (see src/bindings).
 */
export async function negotiate(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return guard(context, async () => {
    const settings = readFunctionAppSettings();
    const caller = resolveCaller(request, settings.allowClientUserId);
    const service = getSignalRService();
    // With several SignalR Service endpoints the router picks one (a random online primary by default); it may
    // read the request's headers and query.
    const options: NegotiateOptions = { lifetimeSeconds: settings.tokenLifetimeSeconds, request: { headers: request.headers, query: request.query } };
    if (caller.kind !== 'anonymous') options.userId = caller.userId;
    const info = await service.clientConnectionInfo(settings.hubName, options);
    return jsonResponse(200, { url: info.url, accessToken: info.accessToken });
  });
}

export const negotiateOptions: HttpFunctionOptions = {
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  route: 'negotiate',
  handler: negotiate,
};

app.http('negotiate', negotiateOptions);
