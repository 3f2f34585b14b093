/**
 * The app the upstream benchmark serves on the local host: the app's own upstream endpoint and one SignalR
 * trigger function, `echo`, returning its argument. What it measures is the path a hub method's invocation takes
 * through the function types (HTTP request, trigger dispatch, invocation context, Completion framing), with no
 * work of its own in the function.
 */
import { app } from '@azure/functions';
import { signalRApp, signalRTrigger, signalRUpstreamHandler } from '../../src/bindings';

signalRApp.generic('echo', {
  trigger: signalRTrigger({ hubName: 'ours', category: 'messages', event: 'echo', parameterNames: ['value'] }),
  handler: (invocation) => invocation.Arguments?.[0],
});

app.http('signalRUpstream', { methods: ['POST'], authLevel: 'anonymous', route: 'signalr/upstream', handler: signalRUpstreamHandler() });
