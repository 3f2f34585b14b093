import { HubProtocol, TransferFormat } from './hubProtocol';
import { jsonProtocol, RECORD_SEPARATOR, RECORD_SEPARATOR_CHAR } from './jsonProtocol';
import { messagePackProtocol } from './messagePackProtocol';

const protocols: ReadonlyMap<string, HubProtocol> = new Map([
  [jsonProtocol.name, jsonProtocol],
  [messagePackProtocol.name, messagePackProtocol],
]);

/** Hub protocol version the service speaks (clients send 1 unless stateful reconnect was negotiated). */
const SUPPORTED_VERSION = 1;

export type HandshakeResult =
  | { kind: 'incomplete' }
  | { kind: 'ok'; protocol: HubProtocol; rest: Buffer }
  | { kind: 'error'; error: string };

/**
 * Reads the handshake request `{"protocol":..,"version":..}` + 0x1E, which is JSON text whatever the
 * hub protocol. Data after the separator already belongs to the hub protocol and is returned as `rest`.
 */
export function readHandshake(buffer: Buffer, transportFormats: readonly TransferFormat[]): HandshakeResult {
  const end = buffer.indexOf(RECORD_SEPARATOR);
  if (end < 0) return { kind: 'incomplete' };
  let request: unknown;
  try {
    request = JSON.parse(buffer.subarray(0, end).toString('utf8'));
  } catch {
    return { kind: 'error', error: 'Handshake request is not valid JSON.' };
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { kind: 'error', error: 'Handshake request must be a JSON object.' };
  }
  const { protocol: name, version } = request as Record<string, unknown>;
  if (typeof name !== 'string') return { kind: 'error', error: "Handshake request is missing the 'protocol' property." };
  if (typeof version !== 'number') return { kind: 'error', error: "Handshake request is missing the 'version' property." };
  const protocol = protocols.get(name);
  if (!protocol) return { kind: 'error', error: `The protocol '${name}' is not supported.` };
  if (version !== SUPPORTED_VERSION) {
    return { kind: 'error', error: `The server does not support version ${version} of the '${name}' protocol.` };
  }
  if (!transportFormats.includes(protocol.transferFormat)) {
    return {
      kind: 'error',
      error: `Cannot use the '${name}' protocol on the current transport. The transport does not support '${protocol.transferFormat}' transfer format.`,
    };
  }
  return { kind: 'ok', protocol, rest: buffer.subarray(end + 1) };
}

/** `{}` + 0x1E on success, `{"error":"..."}` + 0x1E on failure. */
export function writeHandshakeResponse(error?: string): Buffer {
  const body = error === undefined ? '{}' : JSON.stringify({ error });
  return Buffer.from(body + RECORD_SEPARATOR_CHAR, 'utf8');
}
