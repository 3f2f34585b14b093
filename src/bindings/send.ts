import type { CallOptions, SignalRRestApi } from '../client/rest/restApi';
import type { ServiceEndpoint } from '../client/service';
import { checkConnectionId, checkGroupName, checkUserId, serializeRestMessage } from '../contract';
import { selectEndpoints } from './endpointJson';
import { SignalRSendError } from './errors';
import { describeOperation, type NormalizedItem, type SignalROperation } from './outputItems';

/** Performs one routed operation with the REST API. */
export function performOperation(rest: SignalRRestApi, hub: string, op: SignalROperation, options?: CallOptions): Promise<void> {
  switch (op.kind) {
    case 'sendToConnection':
      return rest.sendToConnection(hub, op.connectionId, { target: op.target, arguments: op.arguments }, options);
    case 'sendToUser':
      return rest.sendToUser(hub, op.userId, { target: op.target, arguments: op.arguments }, options);
    case 'sendToGroup':
      return rest.sendToGroup(hub, op.groupName, { target: op.target, arguments: op.arguments }, options);
    case 'broadcast':
      return rest.broadcast(hub, { target: op.target, arguments: op.arguments }, options);
    case 'addConnectionToGroup':
      return rest.addConnectionToGroup(hub, op.groupName, op.connectionId, options);
    case 'removeConnectionFromGroup':
      return rest.removeConnectionFromGroup(hub, op.groupName, op.connectionId, options);
    case 'removeConnectionFromAllGroups':
      return rest.removeConnectionFromAllGroups(hub, op.connectionId, options);
    case 'addUserToGroup':
      return rest.addUserToGroup(hub, op.userId, op.groupName, options);
    case 'removeUserFromGroup':
      return rest.removeUserFromGroup(hub, op.userId, op.groupName, options);
    case 'removeUserFromAllGroups':
      return rest.removeUserFromAllGroups(hub, op.userId, options);
  }
}

/**
 * The argument checks the REST client makes before a call (the contract's id and group rules, the 1 MB body),
 * made up front. Throws the contract's ServiceRuleError (PayloadTooLargeError for an oversized message).
 */
function checkOperation(op: SignalROperation): void {
  if ('connectionId' in op) checkConnectionId(op.connectionId);
  if ('userId' in op) checkUserId(op.userId);
  if ('groupName' in op) checkGroupName(op.groupName);
  if ('target' in op) serializeRestMessage({ target: op.target, arguments: op.arguments });
}

/**
 * The call options of each item: an item naming its `endpoints` gets exactly those of `available` (the
 * service's endpoints). Every item is resolved before anything is sent, so a bad entry sends nothing.
 */
function itemOptions(items: readonly NormalizedItem[], available: readonly ServiceEndpoint[], options: CallOptions | undefined): Array<CallOptions | undefined> {
  return items.map((item) => (item.endpoints === undefined ? options : { ...options, endpoints: selectEndpoints(item.endpoints, available, item.index) }));
}

/**
 * Sends the items one after another, in array order, waiting for each call to finish before the next.
 * WHY sequential: the service delivers messages from one REST call in order, but two concurrent calls may
 * overtake each other, so a handler that sets [join group, send to group] or [msg1, msg2] for one target
 * would otherwise race. The first failure stops the batch and is reported with the failing item's index
 * and how many items were sent before it. `endpoints`: the service's endpoints, which items' own
 * `endpoints` entries are matched against.
 */
export async function sendAll(
  rest: SignalRRestApi,
  hub: string,
  items: readonly NormalizedItem[],
  options?: CallOptions,
  endpoints: readonly ServiceEndpoint[] = [],
): Promise<void> {
  const perItem = itemOptions(items, endpoints, options);
  // A batch is all or nothing for what can be known before sending: an item the REST client would refuse
  // (id over 1024 characters, message over 1 MB) must not let the items before it go out. A single item is
  // checked by the REST client itself, so the JSON is not serialized twice on the common path.
  if (items.length > 1) {
    for (const item of items) {
      try {
        checkOperation(item.operation);
      } catch (cause) {
        throw new SignalRSendError(item.index, describeOperation(item.operation), 0, items.length, cause);
      }
    }
  }
  for (let position = 0; position < items.length; position++) {
    const item = items[position];
    try {
      await performOperation(rest, hub, item.operation, perItem[position]);
    } catch (cause) {
      throw new SignalRSendError(item.index, describeOperation(item.operation), position, items.length, cause);
    }
  }
}
