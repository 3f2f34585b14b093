/**
 * host.json as the local host reads it: defaults when a key is absent, case-insensitive keys as in the host, and a
 * HostJsonError naming the setting and the value when one is wrong.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostJsonError, readHostJson } from '../../src/localhost/hostJson';

function projectWith(hostJson: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostjson-'));
  fs.writeFileSync(path.join(dir, 'host.json'), JSON.stringify(hostJson));
  return dir;
}

describe('readHostJson', () => {
  it('defaults: route prefix api, unbounded, no dynamic throttles', () => {
    const settings = readHostJson(projectWith({ version: '2.0' }));
    expect(settings).toMatchObject({ routePrefix: 'api', dynamicThrottlesEnabled: false });
    expect(settings.maxConcurrentRequests).toBeUndefined();
  });

  it('reads the HTTP settings whatever the case of their keys', () => {
    const settings = readHostJson(projectWith({ Extensions: { HTTP: { routePrefix: '/v1/', MaxConcurrentRequests: 4, dynamicthrottlesenabled: true } } }));
    expect(settings).toMatchObject({ routePrefix: 'v1', maxConcurrentRequests: 4, dynamicThrottlesEnabled: true });
  });

  it.each([
    [{ maxConcurrentRequests: 0 }, /extensions\.http\.maxConcurrentRequests must be a positive whole number.*got 0/],
    [{ maxOutstandingRequests: '10' }, /extensions\.http\.maxOutstandingRequests .*got "10"/],
    [{ dynamicThrottlesEnabled: 'yes' }, /extensions\.http\.dynamicThrottlesEnabled must be true or false, got "yes"/],
    [{ routePrefix: 5 }, /extensions\.http\.routePrefix must be a string/],
  ])('refuses %j with a message naming the setting', (http, message) => {
    const root = projectWith({ extensions: { http } });
    expect(() => readHostJson(root)).toThrow(HostJsonError);
    expect(() => readHostJson(root)).toThrow(message);
  });
});
