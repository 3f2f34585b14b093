/**
 * How one SignalR Service instance among several is named, as the official SDK names it: a name (`''` for the
 * default connection string), a type (primary or secondary) and its endpoint URL. Only these, never a key, so an
 * identity may go into logs, errors and the `signalREndpoints` input.
 *
 * The URL identifies the instance: the settings refuse two entries for one instance (see
 * src/client/config/endpointSettings.ts), so `endpoint` is unique within a service.
 */

export type EndpointType = 'primary' | 'secondary';

export interface EndpointIdentity {
  /** The `<name>` of `Azure:SignalR:Endpoints:<name>`; `''` for the connection-string setting itself. */
  readonly name: string;
  readonly type: EndpointType;
  /** The connection string's `Endpoint` with `Port` applied, no trailing slash. */
  readonly endpoint: string;
}

/** `Primary` / `Secondary`: the spelling the official bindings use in JSON and in their logs. */
export function endpointTypeLabel(type: EndpointType): 'Primary' | 'Secondary' {
  return type === 'primary' ? 'Primary' : 'Secondary';
}

/** `[east](Primary)https://east.service.signalr.net`, as the official SDK prints an endpoint (name left out when empty). */
export function describeEndpoint(identity: EndpointIdentity): string {
  const name = identity.name === '' ? '' : `[${identity.name}]`;
  return `${name}(${endpointTypeLabel(identity.type)})${identity.endpoint}`;
}
