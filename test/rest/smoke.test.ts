import jwt from 'jsonwebtoken';
import { createSignalRService } from '../../src/service';
import { parseConnectionString } from '../../src/config/connectionString';
import { RecordingServer } from '../support/recordingServer';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

test('smoke: send to user and negotiate', async () => {
  const server = await RecordingServer.start({ status: 202 });
  const config = parseConnectionString(`Endpoint=http://127.0.0.1;Port=${server.port};AccessKey=${KEY};Version=1.0;`, 'S');
  const service = createSignalRService(config);
  try {
    await service.rest.sendToUser('Chat', 'a/b', { target: 't', arguments: [1] });
    const r = server.requests[0]!;
    expect(r.rawPath).toBe('/api/hubs/chat/users/a%2Fb/:send');
    const claims = jwt.verify(String(r.headers.authorization).slice(7), KEY) as jwt.JwtPayload;
    expect(claims.aud).toBe(`${server.url}/api/hubs/chat/users/a%2Fb/:send`);
    const info = await service.clientConnectionInfo('Chat', { userId: 'u1' });
    expect(info.url).toBe(`${server.url}/client/?hub=chat`);
  } finally {
    service.close();
    await server.close();
  }
});
