import { call, errorOf, type RequestSpec, useRecordingService } from './support';
import { sendMessageOptions } from '../../functions/sendMessage';

/**
 * The sender rule must hold for receivers that read JSON case-insensitively: the .NET SignalR client's
 * JsonHubProtocol deserializes with PropertyNameCaseInsensitive = true, so `Sender` (or `SENDER`) is the same
 * property to it as `sender`, and the last one in the JSON wins.
 */
const send = (spec: RequestSpec) => call(sendMessageOptions.handler, { path: 'sendMessage', ...spec }, 'sendMessage');

describe('sendMessage sender rule, any casing', () => {
  const server = useRecordingService({ settings: { SignalRAllowClientUserId: 'true' } });

  it('refuses a forged "Sender" next to a matching "sender" (403, nothing sent)', async () => {
    const result = await send({ headers: { 'x-user-id': 'alice' }, body: { target: 'm', arguments: [{ sender: 'alice', Sender: 'bob', text: 'hi' }] } });
    expect(result.status).toBe(403);
    expect(errorOf(result)).toMatchObject({ code: 'SenderMismatch', field: 'arguments[0].Sender' });
    expect(server().requests).toHaveLength(0);
  });

  it('refuses a forged "SENDER" alone (403)', async () => {
    const result = await send({ headers: { 'x-user-id': 'alice' }, body: { target: 'm', arguments: [{ SENDER: 'bob' }] } });
    expect(result.status).toBe(403);
    expect(errorOf(result).code).toBe('SenderMismatch');
    expect(server().requests).toHaveLength(0);
  });

  it('refuses "Sender" from an anonymous caller (403)', async () => {
    const result = await send({ body: { target: 'm', arguments: [{ Sender: 'bob' }] } });
    expect(result.status).toBe(403);
    expect(errorOf(result)).toMatchObject({ code: 'SenderNotAllowed', field: 'arguments[0].Sender' });
    expect(server().requests).toHaveLength(0);
  });

  it('accepts a matching "Sender" and still stamps "sender"', async () => {
    const result = await send({ headers: { 'x-user-id': 'alice' }, body: { target: 'm', arguments: [{ Sender: 'alice', text: 'hi' }] } });
    expect(result.status).toBe(202);
    expect(JSON.parse(server().requests[0].body)).toEqual({ target: 'm', arguments: [{ Sender: 'alice', text: 'hi', sender: 'alice' }] });
  });
});
