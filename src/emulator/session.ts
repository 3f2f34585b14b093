import type { ClientConnection } from './clientConnection';
import type { ClientTransport } from './transports/clientTransport';

/** A negotiated connection and the transport that carries it, once the client has opened one. */
export interface Session {
  connection: ClientConnection;
  transport: ClientTransport | undefined;
}

/** Hub, user, transport and protocol of a connection (tests, diagnostics). */
export interface ConnectionDescription {
  hub: string;
  userId: string | undefined;
  transport: string | undefined;
  protocol: string | undefined;
}
