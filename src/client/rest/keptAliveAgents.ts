/**
 * Keep-alive agents (`trackingSockets`) that can tell, after a request failed, whether it went out on a REUSED
 * socket and whether any byte came back on that socket since: the two facts the stale-connection rule
 * (src/contract/staleConnections.ts) needs. axios does not expose the socket, but it does hand back the Node
 * `ClientRequest` of a failed request (`AxiosError.request`, documented for Node), and Node's agent calls the
 * documented `agent.reuseSocket(socket, request)` whenever it puts a request on a pooled socket. Wrapping that
 * hook records the socket and how many bytes it had read so far; nothing else about the agent changes.
 *
 * `bytesRead` counts what the HTTP parser receives (over TLS, the decrypted bytes: a TLS close alert does not
 * count as an answer).
 *
 * They also tell a NewConnectionGate (newConnectionGate.ts) which sockets have answered, through the documented
 * `agent.keepSocketAlive(socket)`, which Node calls when a socket's request is over and the socket goes back to
 * the pool.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NewConnectionGate } from './newConnectionGate';

interface Reuse {
  readonly socket: Socket;
  readonly bytesReadBefore: number;
}

/** Weak: a request that completed is forgotten with it. */
const reuses = new WeakMap<http.ClientRequest, Reuse>();

function remember(socket: Duplex, request: http.ClientRequest): void {
  // Node's agents pool net.Socket (tls.TLSSocket for https); a custom createConnection could hand out another Duplex.
  const bytesRead = (socket as Partial<Socket>).bytesRead;
  if (typeof bytesRead === 'number') reuses.set(request, { socket: socket as Socket, bytesReadBefore: bytesRead });
}

/** Sockets already reported to a gate as answered: each is reported once, and once more when it closes. */
const answeredSockets = new WeakSet<Duplex>();

/** Called with the agent's verdict on a socket whose request is over: kept for the next request, or not. */
function reportKept(gate: NewConnectionGate | undefined, socket: Duplex, kept: boolean): void {
  if (gate === undefined || !kept || answeredSockets.has(socket)) return;
  answeredSockets.add(socket);
  gate.socketAnswered();
  socket.once('close', () => gate.answeredSocketClosed());
}

/** A new socket that reads an answer and closes without ever being kept: the server does not keep connections. */
function watchNewSocket(gate: NewConnectionGate | undefined, socket: Duplex | null | undefined): void {
  if (gate === undefined || socket === null || socket === undefined) return;
  socket.once('close', () => {
    const bytesRead = (socket as Partial<Socket>).bytesRead;
    if (!answeredSockets.has(socket) && typeof bytesRead === 'number' && bytesRead > 0) gate.socketNotKept();
  });
}

/**
 * Makes `agent` (an http.Agent or https.Agent with keep-alive) track its sockets as above. Node calls these three
 * hooks as `this.<hook>(...)`, documented as methods to override; they are wrapped on the instance so that one
 * definition serves both agent classes.
 */
export function trackingSockets<A extends http.Agent>(agent: A, gate?: NewConnectionGate): A {
  const createConnection = agent.createConnection.bind(agent);
  const reuseSocket = agent.reuseSocket.bind(agent);
  const keepSocketAlive = agent.keepSocketAlive.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = createConnection(options, callback);
    watchNewSocket(gate, socket);
    return socket;
  };
  agent.reuseSocket = (socket, request) => {
    reuseSocket(socket, request);
    remember(socket, request);
  };
  agent.keepSocketAlive = (socket) => {
    // Typed void, but Node reads the result: falsy destroys the socket (e.g. a keep-alive hint of 1 s or less).
    const kept: unknown = keepSocketAlive(socket);
    reportKept(gate, socket, Boolean(kept));
    return kept as void;
  };
  return agent;
}

export interface SocketHistory {
  reusedSocket: boolean;
  answerStarted: boolean;
}

/**
 * What the tracking agents know of `request` (an `AxiosError.request`). A request they did not put on a pooled
 * socket counts as sent on a fresh one; anything that is not a Node request as already answered (unknown: the rule
 * then does not apply).
 */
export function socketHistoryOf(request: unknown): SocketHistory {
  if (!(request instanceof http.ClientRequest)) return { reusedSocket: false, answerStarted: true };
  const reuse = reuses.get(request);
  if (reuse === undefined) return { reusedSocket: false, answerStarted: false };
  return { reusedSocket: true, answerStarted: reuse.socket.bytesRead > reuse.bytesReadBefore };
}
