/**
 * SignalR Service endpoints in the official bindings' JSON: what the `signalREndpoints` and `signalRNegotiation`
 * inputs yield, and what a SignalRMessage's or SignalRGroupAction's `endpoints` holds:
 * `{ "endpointType": "Primary"|"Secondary", "name": "east", "endpoint": "https://…", "online": true }`.
 *
 * Reading `endpoints` (research notes, section F): the official binding keeps the entries that equal a configured
 * endpoint in name, URL and type, and silently drops the rest; an empty list sends nothing. Ours, on purpose:
 * - an entry matches every endpoint that agrees with the fields it gives (`endpoint` URL, `name`, `endpointType`),
 *   so an entry from the `signalREndpoints` input matches exactly its endpoint, and `{"name": "east"}` is enough;
 * - an entry that matches no configured endpoint, and an empty list, are errors naming the item: a message that
 *   silently goes nowhere is lost;
 * - `endpointType` is read in any letter case, or as 0 / 1 (the .NET enum's values); `online` is ignored, as
 *   officially; keys in any letter case, as everywhere in the output binding.
 * The named endpoints get the message whether online or not (as the official `WithEndpoints`).
 */
import { endpointUrlBase } from '../client/config/connectionString';
import { endpointTypeLabel, type EndpointIdentity, type EndpointType } from '../client/endpoints/identity';
import type { ServiceEndpoint } from '../client/service';
import { fieldIgnoringCase, isPlainObject } from '../contract';
import { SignalROutputValidationError } from './errors';

/** One endpoint as the inputs yield it. */
export interface SignalREndpointInfo {
  endpointType: 'Primary' | 'Secondary';
  name: string;
  endpoint: string;
  online: boolean;
}

/** An entry of a message's `endpoints`, validated: the fields it gives. */
export interface EndpointRef {
  readonly name?: string;
  readonly type?: EndpointType;
  readonly endpoint?: string;
}

export function toEndpointInfo(endpoint: ServiceEndpoint): SignalREndpointInfo {
  return { endpointType: endpointTypeLabel(endpoint.type), name: endpoint.name, endpoint: endpoint.endpoint, online: endpoint.online };
}

function readType(value: unknown): EndpointType | undefined {
  if (value === 0 || (typeof value === 'string' && value.toLowerCase() === 'primary')) return 'primary';
  if (value === 1 || (typeof value === 'string' && value.toLowerCase() === 'secondary')) return 'secondary';
  return undefined;
}

/** Validates an item's `endpoints` (already known to be present). Throws SignalROutputValidationError naming the item. */
export function readEndpointRefs(value: unknown, index: number | undefined): EndpointRef[] {
  const invalid = (problem: string): SignalROutputValidationError => new SignalROutputValidationError(index, 'endpoints', problem);
  if (!Array.isArray(value)) throw invalid('must be an array when given');
  if (value.length === 0) throw invalid('is empty: the message would reach no endpoint (leave it out to use every online endpoint)');
  return value.map((entry: unknown, position) => {
    if (!isPlainObject(entry)) throw invalid(`[${position}] must be an object {endpointType, name, endpoint}`);
    const name = fieldIgnoringCase(entry, 'name') ?? undefined;
    const url = fieldIgnoringCase(entry, 'endpoint') ?? undefined;
    const typeValue = fieldIgnoringCase(entry, 'endpointType') ?? undefined;
    if (name !== undefined && typeof name !== 'string') throw invalid(`[${position}].name must be a string`);
    if (url !== undefined && (typeof url !== 'string' || url.trim() === '')) throw invalid(`[${position}].endpoint must be a non-empty URL string`);
    const type = typeValue === undefined ? undefined : readType(typeValue);
    if (typeValue !== undefined && type === undefined) throw invalid(`[${position}].endpointType must be 'Primary' or 'Secondary'`);
    if (name === undefined && url === undefined) throw invalid(`[${position}] needs a name or an endpoint to say which endpoint it is`);
    return {
      ...(name === undefined ? {} : { name }),
      ...(type === undefined ? {} : { type }),
      ...(url === undefined ? {} : { endpoint: endpointUrlBase(url) }),
    };
  });
}

function matches(ref: EndpointRef, endpoint: EndpointIdentity): boolean {
  return (
    (ref.name === undefined || ref.name.toLowerCase() === endpoint.name.toLowerCase()) &&
    (ref.type === undefined || ref.type === endpoint.type) &&
    (ref.endpoint === undefined || ref.endpoint === endpointUrlBase(endpoint.endpoint))
  );
}

function describeRef(ref: EndpointRef): string {
  const parts = [
    ref.name === undefined ? undefined : `name '${ref.name}'`,
    ref.type === undefined ? undefined : endpointTypeLabel(ref.type),
    ref.endpoint === undefined ? undefined : ref.endpoint,
  ];
  return parts.filter((part) => part !== undefined).join(', ');
}

/** The configured endpoints the refs name, each once; an entry naming none of them is an error naming the item. */
export function selectEndpoints(refs: readonly EndpointRef[], available: readonly ServiceEndpoint[], index: number | undefined): ServiceEndpoint[] {
  const chosen: ServiceEndpoint[] = [];
  for (const ref of refs) {
    const found = available.filter((endpoint) => matches(ref, endpoint));
    if (found.length === 0) {
      const known = available.map((e) => `'${e.name}' ${endpointTypeLabel(e.type)} ${e.endpoint}`).join('; ');
      throw new SignalROutputValidationError(index, 'endpoints', `names no configured endpoint (${describeRef(ref)}); configured: ${known}`);
    }
    for (const endpoint of found) if (!chosen.includes(endpoint)) chosen.push(endpoint);
  }
  return chosen;
}
