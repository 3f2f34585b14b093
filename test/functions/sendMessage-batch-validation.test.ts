import { call, errorOf, type RequestSpec, useRecordingService } from './support';
import { sendMessageOptions } from '../../functions/sendMessage';

/**
 * README: "The whole batch is validated first (one bad item: 400, nothing sent)" and "the message is over the
 * service's 1 MB limit: 413 PayloadTooLarge". Items whose ids or size only the REST layer checks must not let
 * the items before them go out.
 */
const send = (spec: RequestSpec) => call(sendMessageOptions.handler, { path: 'sendMessage', ...spec }, 'sendMessage');
const OVER_1_MB = 'x'.repeat(1024 * 1024 + 10);

describe('sendMessage batch validation', () => {
  const server = useRecordingService({ settings: { SignalRAllowClientUserId: 'true' } });

  it('a batch whose second item names a user id over 1024 characters is a 400 and sends nothing', async () => {
    const result = await send({ body: [{ target: 't', arguments: ['a'] }, { target: 't', arguments: ['b'], userId: 'u'.repeat(2000) }] });
    expect(result.status).toBe(400);
    expect(errorOf(result).field).toMatch(/^\[1\]/);
    expect(server().requests).toHaveLength(0);
  });

  it('a batch whose second item names a connection id over 1024 characters is a 400 and sends nothing', async () => {
    const result = await send({ body: [{ target: 't', arguments: ['a'] }, { target: 't', arguments: ['b'], connectionId: 'c'.repeat(2000) }] });
    expect(result.status).toBe(400);
    expect(server().requests).toHaveLength(0);
  });

  it('a batch whose second message is over 1 MB is a 413 PayloadTooLarge and sends nothing', async () => {
    const result = await send({ body: [{ target: 't', arguments: ['a'] }, { target: 't', arguments: [OVER_1_MB] }] });
    expect(result.status).toBe(413);
    expect(errorOf(result).code).toBe('PayloadTooLarge');
    expect(errorOf(result).field).toBe('[1]');
    expect(server().requests).toHaveLength(0);
  });

  it('a single message over 1 MB is a 413 PayloadTooLarge, as the README table says', async () => {
    const result = await send({ body: { target: 't', arguments: [OVER_1_MB] } });
    expect(result.status).toBe(413);
    expect(errorOf(result).code).toBe('PayloadTooLarge');
    expect(server().requests).toHaveLength(0);
  });
});
