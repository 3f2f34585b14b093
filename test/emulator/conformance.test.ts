/**
 * Conformance of the REAL emulator's REST API with the service's published REST reference, as written out in
 * restSpecTable.ts. Every operation of both API versions (2022-06-01 and v1) is called twice: on a target
 * that exists, made real by connecting the official @microsoft/signalr client over WebSockets, and on one
 * that does not. The expected status codes are the table's. Followed by the cross-cutting behaviour: auth,
 * validation, limits, routing errors, `excluded`, and `application` isolation.
 */
import { HttpTransportType, HubConnection, HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import jwt from 'jsonwebtoken';
import { startEmulator } from '../../src/emulator';
import { ACCESS_KEY, call, sdkAudience, serviceToken } from './rest-support';
import { OperationKind, REST_OPERATIONS, RestOperation } from './restSpecTable';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

const TARGET = 'conformance';

// ---------------------------------------------------------------------------------------------------------
// Real clients

interface Client {
  connection: HubConnection;
  id: string;
  received: unknown[][];
  closed: Promise<Error | undefined>;
}

let emulator: Emulator;
const openClients: Client[] = [];
let hubCounter = 0;

function clientToken(hub: string, userId?: string): string {
  return jwt.sign({ aud: `${emulator.url}/client/?hub=${hub}`, ...(userId ? { 'asrs.s.uid': userId } : {}) }, ACCESS_KEY, {
    algorithm: 'HS256',
    expiresIn: 600,
  });
}

async function connect(hub: string, userId?: string): Promise<Client> {
  const connection = new HubConnectionBuilder()
    .withUrl(`${emulator.url}/client/?hub=${encodeURIComponent(hub)}`, {
      transport: HttpTransportType.WebSockets,
      accessTokenFactory: () => clientToken(hub, userId),
    })
    .configureLogging(LogLevel.None)
    .build();
  const received: unknown[][] = [];
  connection.on(TARGET, (...args: unknown[]) => received.push(args));
  const closed = new Promise<Error | undefined>((resolve) => connection.onclose((error) => resolve(error)));
  await connection.start();
  const id = connection.connectionId;
  if (!id) throw new Error('the client got no connection id');
  const client = { connection, id, received, closed };
  openClients.push(client);
  return client;
}

/** A hub of its own per scenario, so closing or grouping in one scenario cannot disturb another. */
function freshHub(): string {
  hubCounter += 1;
  return `conf${hubCounter}`;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Resolves once `client` has received the marker: everything sent to it before has arrived by then. */
async function flush(client: Client, hub: string): Promise<void> {
  const marker = `marker-${Math.random()}`;
  const r = await rest('POST', `/api/hubs/${hub}/connections/${client.id}/:send?api-version=2022-06-01`, { target: TARGET, arguments: [marker] });
  expect(r.status).toBe(202);
  await waitFor(() => client.received.some((args) => args[0] === marker), `marker on ${client.id}`);
}

function rest(method: string, pathAndQuery: string, body?: unknown) {
  return call(emulator.url, method, pathAndQuery, body === undefined ? {} : { body });
}

beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, accessKey: ACCESS_KEY });
});

afterAll(async () => {
  await Promise.all(openClients.map((c) => c.connection.stop().catch(() => undefined)));
  await emulator?.close();
});

// ---------------------------------------------------------------------------------------------------------
// Scenarios, one per operation kind. `existing` builds real state and returns the path params (and a check
// of the effect); `missing` names targets that do not exist.

type Params = Record<string, string>;
interface Prepared {
  params: Params;
  query?: string;
  body?: unknown;
  verify?: () => Promise<void>;
}
interface Scenario {
  existing(): Promise<Prepared>;
  missing(): Promise<Prepared>;
}

const MESSAGE = (tag: string) => ({ target: TARGET, arguments: [tag, { n: 1 }] });

function receivedTag(client: Client, tag: string): boolean {
  return client.received.some((args) => args[0] === tag);
}

const health: Scenario = {
  existing: async () => ({ params: {} }),
  missing: async () => ({ params: {} }),
};

function sendScenario(kind: 'broadcast' | 'user' | 'connection' | 'group'): Scenario {
  return {
    async existing() {
      const hub = freshHub();
      const user = `user-${hub}`;
      const group = `group ${hub}/x`; // a space and a slash: percent-encoded in the path
      const client = await connect(hub, user);
      if (kind === 'group') {
        const r = await rest('PUT', `/api/hubs/${hub}/groups/${encodeURIComponent(group)}/connections/${client.id}?api-version=2022-06-01`);
        expect(r.status).toBe(200);
      }
      const tag = `${kind}-${hub}`;
      return {
        params: { hub, user, id: user, group, connectionId: client.id },
        body: MESSAGE(tag),
        verify: () => waitFor(() => receivedTag(client, tag), `${kind} message`),
      };
    },
    async missing() {
      return { params: { hub: freshHub(), user: 'nobody', id: 'nobody', group: 'empty', connectionId: 'no-such-connection' }, body: MESSAGE('lost') };
    },
  };
}

function closeScenario(kind: 'all' | 'group' | 'user' | 'connection'): Scenario {
  return {
    async existing() {
      const hub = freshHub();
      const user = `closing-${hub}`;
      const group = `closing-group-${hub}`;
      const client = await connect(hub, user);
      if (kind === 'group') {
        expect((await rest('PUT', `/api/hubs/${hub}/groups/${group}/connections/${client.id}?api-version=2022-06-01`)).status).toBe(200);
      }
      return {
        params: { hub, user, group, connectionId: client.id },
        query: 'reason=conformance-close',
        verify: async () => {
          await client.closed;
          const exists = await rest('HEAD', `/api/hubs/${hub}/connections/${client.id}?api-version=2022-06-01`);
          expect(exists.status).toBe(404);
        },
      };
    },
    async missing() {
      return { params: { hub: freshHub(), user: 'nobody', group: 'nogroup', connectionId: 'no-such-connection' } };
    },
  };
}

const connectionExists: Scenario = {
  async existing() {
    const hub = freshHub();
    const client = await connect(hub);
    return { params: { hub, connectionId: client.id } };
  },
  missing: async () => ({ params: { hub: freshHub(), connectionId: 'no-such-connection' } }),
};

const userExists: Scenario = {
  async existing() {
    const hub = freshHub();
    await connect(hub, 'present-user');
    return { params: { hub, user: 'present-user' } };
  },
  missing: async () => ({ params: { hub: freshHub(), user: 'absent-user' } }),
};

const groupExists: Scenario = {
  async existing() {
    const hub = freshHub();
    const client = await connect(hub);
    expect((await rest('PUT', `/api/hubs/${hub}/groups/g1/connections/${client.id}?api-version=2022-06-01`)).status).toBe(200);
    return { params: { hub, group: 'g1' } };
  },
  missing: async () => ({ params: { hub: freshHub(), group: 'g1' } }),
};

const addConnectionToGroup: Scenario = {
  async existing() {
    const hub = freshHub();
    const client = await connect(hub);
    return {
      params: { hub, group: 'joined', connectionId: client.id },
      verify: async () => expect((await rest('HEAD', `/api/hubs/${hub}/groups/joined?api-version=2022-06-01`)).status).toBe(200),
    };
  },
  missing: async () => ({ params: { hub: freshHub(), group: 'joined', connectionId: 'no-such-connection' } }),
};

const removeConnectionFromGroup: Scenario = {
  async existing() {
    const hub = freshHub();
    const client = await connect(hub);
    expect((await rest('PUT', `/api/hubs/${hub}/groups/leaving/connections/${client.id}?api-version=2022-06-01`)).status).toBe(200);
    return {
      params: { hub, group: 'leaving', connectionId: client.id },
      verify: async () => expect((await rest('HEAD', `/api/hubs/${hub}/groups/leaving?api-version=2022-06-01`)).status).toBe(404),
    };
  },
  missing: async () => ({ params: { hub: freshHub(), group: 'leaving', connectionId: 'no-such-connection' } }),
};

const removeConnectionFromAllGroups: Scenario = {
  async existing() {
    const hub = freshHub();
    const client = await connect(hub);
    for (const g of ['a', 'b']) {
      expect((await rest('PUT', `/api/hubs/${hub}/groups/${g}/connections/${client.id}?api-version=2022-06-01`)).status).toBe(200);
    }
    return {
      params: { hub, connectionId: client.id },
      verify: async () => {
        expect((await rest('HEAD', `/api/hubs/${hub}/groups/a?api-version=2022-06-01`)).status).toBe(404);
        expect((await rest('HEAD', `/api/hubs/${hub}/groups/b?api-version=2022-06-01`)).status).toBe(404);
      },
    };
  },
  missing: async () => ({ params: { hub: freshHub(), connectionId: 'no-such-connection' } }),
};

async function userInGroupFixture(): Promise<{ hub: string; user: string; group: string; client: Client }> {
  const hub = freshHub();
  const user = `member-${hub}`;
  const client = await connect(hub, user);
  expect((await rest('PUT', `/api/hubs/${hub}/users/${user}/groups/team?api-version=2022-06-01`)).status).toBe(200);
  return { hub, user, group: 'team', client };
}

const userInGroup: Scenario = {
  async existing() {
    const { hub, user, group } = await userInGroupFixture();
    return { params: { hub, user, group } };
  },
  missing: async () => ({ params: { hub: freshHub(), user: 'outsider', group: 'team' } }),
};

const addUserToGroup: Scenario = {
  async existing() {
    const hub = freshHub();
    const user = `joiner-${hub}`;
    const client = await connect(hub, user);
    return {
      params: { hub, user, group: 'club' },
      verify: async () => {
        expect((await rest('HEAD', `/api/hubs/${hub}/users/${user}/groups/club?api-version=2022-06-01`)).status).toBe(200);
        const tag = `club-${hub}`;
        expect((await rest('POST', `/api/hubs/${hub}/groups/club/:send?api-version=2022-06-01`, MESSAGE(tag))).status).toBe(202);
        await waitFor(() => receivedTag(client, tag), 'group message after add user');
      },
    };
  },
  // Adding a user that has no connection is allowed (membership applies to future connections).
  missing: async () => ({ params: { hub: freshHub(), user: 'future-user', group: 'club' } }),
};

const removeUserFromGroup: Scenario = {
  async existing() {
    const { hub, user, group } = await userInGroupFixture();
    return {
      params: { hub, user, group },
      verify: async () => expect((await rest('HEAD', `/api/hubs/${hub}/users/${user}/groups/${group}?api-version=2022-06-01`)).status).toBe(404),
    };
  },
  missing: async () => ({ params: { hub: freshHub(), user: 'outsider', group: 'team' } }),
};

const removeUserFromAllGroups: Scenario = {
  async existing() {
    const { hub, user, group } = await userInGroupFixture();
    return {
      params: { hub, user },
      verify: async () => {
        expect((await rest('HEAD', `/api/hubs/${hub}/users/${user}/groups/${group}?api-version=2022-06-01`)).status).toBe(404);
        expect((await rest('HEAD', `/api/hubs/${hub}/groups/${group}?api-version=2022-06-01`)).status).toBe(404);
      },
    };
  },
  missing: async () => ({ params: { hub: freshHub(), user: 'outsider' } }),
};

/** Operation kind (both API versions) -> scenario. */
const SCENARIOS: Record<OperationKind, Scenario> = {
  health,
  broadcast: sendScenario('broadcast'),
  sendToUser: sendScenario('user'),
  sendToConnection: sendScenario('connection'),
  sendToGroup: sendScenario('group'),
  closeAll: closeScenario('all'),
  closeGroup: closeScenario('group'),
  closeUser: closeScenario('user'),
  closeConnection: closeScenario('connection'),
  connectionExists,
  userExists,
  groupExists,
  userInGroup,
  addConnectionToGroup,
  removeConnectionFromGroup,
  removeConnectionFromAllGroups,
  addUserToGroup,
  removeUserFromGroup,
  removeUserFromAllGroups,
};

/**
 * Not-found answers that are a 404 although the reference lists no 404: 2022-06-01's HEAD
 * connections/{connectionId} lists only 200, while the service, the SDK (ConnectionExistsAsync) and the
 * official emulator all use 404 with Warning.Connection.NotExisted.
 */
function answers404(op: RestOperation): boolean {
  return op.errors.includes(404) || (op.api === '2022-06-01' && op.kind === 'connectionExists');
}

function buildPath(op: RestOperation, prepared: Prepared): string {
  const filled = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = prepared.params[name];
    if (value === undefined) throw new Error(`scenario for ${op.kind} gives no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = [op.api === '2022-06-01' ? 'api-version=2022-06-01' : '', prepared.query ?? ''].filter((q) => q !== '').join('&');
  return query ? `${filled}?${query}` : filled;
}

describe('every REST operation, success and not-found', () => {
  test('the table names each method and path once', () => {
    const keys = REST_OPERATIONS.map((o) => `${o.method} ${o.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test.each(REST_OPERATIONS.map((o) => [`${o.api} ${o.kind}: ${o.method} ${o.path}`, o] as const))('%s', async (_name, op) => {
    const scenario = SCENARIOS[op.kind];
    expect(op.success.length).toBeGreaterThan(0);

    const existing = await scenario.existing();
    const ok = await rest(op.method, buildPath(op, existing), existing.body);
    expect({ status: ok.status, body: ok.text }).toEqual({ status: expect.any(Number), body: '' });
    expect(op.success).toContain(ok.status);
    await existing.verify?.();

    const missing = await scenario.missing();
    const notFound = await rest(op.method, buildPath(op, missing), missing.body);
    if (answers404(op)) {
      expect(notFound.status).toBe(404);
      expect(notFound.headers.get('x-ms-error-code')).toMatch(/^(Warning|Error|Info)\.(Connection|User|Group)\.(NotExisted|NotInGroup)$/);
    } else {
      expect(op.success).toContain(notFound.status);
    }

    if (op.errors.includes(400)) {
      const badHub = await rest(op.method, buildPath(op, { ...missing, params: { ...missing.params, hub: '9-not-a-hub-name' } }), missing.body);
      expect(badHub.status).toBe(400);
    }
  });
});

describe('cross-cutting behaviour on the real emulator', () => {
  test('excluded connections receive nothing from a broadcast or a group send', async () => {
    const hub = freshHub();
    const a = await connect(hub, 'a');
    const b = await connect(hub, 'b');
    const c = await connect(hub, 'c');
    expect((await rest('POST', `/api/hubs/${hub}/:send?excluded=${b.id}&excluded=${c.id}&api-version=2022-06-01`, MESSAGE('bcast'))).status).toBe(202);
    for (const client of [a, b, c]) {
      expect((await rest('PUT', `/api/hubs/${hub}/groups/g/connections/${client.id}?api-version=2022-06-01`)).status).toBe(200);
    }
    expect((await rest('POST', `/api/hubs/${hub}/groups/g/:send?excluded=${a.id}&api-version=2022-06-01`, MESSAGE('gsend'))).status).toBe(202);
    await Promise.all([a, b, c].map((client) => flush(client, hub)));
    expect([a, b, c].map((client) => [receivedTag(client, 'bcast'), receivedTag(client, 'gsend')])).toEqual([
      [true, false],
      [false, true],
      [false, true],
    ]);
  });

  test('application prefixes the hub: app1_chat, app2_chat and chat are isolated', async () => {
    const hub = freshHub();
    const inApp1 = await connect(`app1_${hub}`);
    const inApp2 = await connect(`app2_${hub}`);
    const plain = await connect(hub);
    expect((await rest('POST', `/api/hubs/${hub}/:send?application=App1&api-version=2022-06-01`, MESSAGE('to-app1'))).status).toBe(202);
    expect((await rest('HEAD', `/api/hubs/${hub}/connections/${inApp1.id}?application=app1&api-version=2022-06-01`)).status).toBe(200);
    expect((await rest('HEAD', `/api/hubs/${hub}/connections/${inApp1.id}?application=app2&api-version=2022-06-01`)).status).toBe(404);
    expect((await rest('HEAD', `/api/hubs/${hub}/connections/${inApp1.id}?api-version=2022-06-01`)).status).toBe(404);
    await flush(inApp2, `app2_${hub}`);
    await flush(plain, hub);
    await waitFor(() => receivedTag(inApp1, 'to-app1'), 'application message');
    expect([receivedTag(inApp2, 'to-app1'), receivedTag(plain, 'to-app1')]).toEqual([false, false]);
  });

  test('closing a connection passes the reason to the client', async () => {
    const hub = freshHub();
    const client = await connect(hub);
    expect((await rest('DELETE', `/api/hubs/${hub}/connections/${client.id}?reason=${encodeURIComponent('bye now')}&api-version=2022-06-01`)).status).toBe(200);
    const error = await client.closed;
    expect(error?.message).toContain('bye now');
  });

  test("a request signed as Dapr's bindings.azure.signalr signs it is accepted: aud is the v1 URL with its port", async () => {
    const hub = freshHub();
    const client = await connect(hub, 'dapr-user');
    const target = `/api/v1/hubs/${hub}/users/dapr-user`;
    expect(new URL(emulator.url).port).not.toBe('');
    const sent = await call(emulator.url, 'POST', target, { body: MESSAGE('from-dapr'), auth: `Bearer ${serviceToken(`${emulator.url}${target}`)}` });
    expect(sent.status).toBe(202);
    await waitFor(() => receivedTag(client, 'from-dapr'), 'the Dapr-signed message');
  });

  test('401 without a token, with a wrong key, or with another hub as audience', async () => {
    const hub = freshHub();
    const target = `/api/hubs/${hub}/:send?api-version=2022-06-01`;
    const none = await call(emulator.url, 'POST', target, { body: MESSAGE('x'), auth: false });
    const wrongKey = await call(emulator.url, 'POST', target, {
      body: MESSAGE('x'),
      auth: `Bearer ${serviceToken(sdkAudience(emulator.url, target), { key: 'some-other-key-0123456789' })}`,
    });
    const otherHub = await call(emulator.url, 'POST', target, {
      body: MESSAGE('x'),
      auth: `Bearer ${serviceToken(sdkAudience(emulator.url, '/api/hubs/other/:send?api-version=2022-06-01'))}`,
    });
    for (const r of [none, wrongKey, otherHub]) {
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ code: 'Error.Request.Unauthorized', message: expect.stringMatching(/\S/) });
    }
  });

  test('400 for bad names and bodies, 413 for 1.1 MB, 404 and 405 for routes', async () => {
    const v = 'api-version=2022-06-01';
    expect((await rest('POST', `/api/hubs/9bad/:send?${v}`, MESSAGE('x'))).status).toBe(400);
    expect((await rest('POST', `/api/hubs/chat/groups/%20/:send?${v}`, MESSAGE('x'))).status).toBe(400);
    expect((await call(emulator.url, 'POST', `/api/hubs/chat/:send?${v}`, { rawBody: '{not json' })).status).toBe(400);
    expect((await rest('POST', `/api/hubs/chat/:send?${v}`, { arguments: [] })).status).toBe(400);
    const big = JSON.stringify({ target: TARGET, arguments: ['x'.repeat(1.1 * 1024 * 1024)] });
    const tooLarge = await call(emulator.url, 'POST', `/api/hubs/chat/:send?${v}`, { rawBody: big });
    expect(tooLarge.status).toBe(413);
    expect((await rest('GET', `/api/hubs/chat/nothing-here?${v}`)).status).toBe(404);
    const wrongMethod = await rest('GET', `/api/hubs/chat/:send?${v}`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});
