/**
 * Scenario 2, tokens: client tokens per second from our TokenIssuer vs an HS256 JWT written by hand
 * with node:crypto. Both run in this process, single-threaded, in tight loops of the same length.
 * jsonwebtoken with a string secret and with a KeyObject are shown too, for scale.
 */
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenIssuer } from '../../src/client/auth/tokens';
import { ratioAtLeast, type Metrics, type RunContext, type Scenario, type ScenarioSession } from '../framework';
import { runTightLoop } from '../lib/closedLoop';
import { BENCH_ACCESS_KEY } from '../lib/constants';
import { HandJwtSigner } from '../lib/handJwt';

const AUDIENCE = 'https://bench.service.signalr.net/client/?hub=chat';

export const tokensScenario: Scenario = {
  name: 'tokens',
  description: 'client tokens/s: TokenIssuer.clientToken vs hand-written HS256 (node:crypto)',
  async open(ctx: RunContext): Promise<ScenarioSession> {
    const durationMs = ctx.quick ? 100 : 500;
    const issuer = new TokenIssuer(BENCH_ACCESS_KEY);
    const hand = new HandJwtSigner(BENCH_ACCESS_KEY);
    const keyObject = createSecretKey(Buffer.from(BENCH_ACCESS_KEY, 'utf8'));
    const jwtClaims = (i: number): Record<string, unknown> => {
      const iat = Math.floor(Date.now() / 1000);
      return { aud: AUDIENCE, 'asrs.s.uid': `user${i & 1023}`, iat, nbf: iat, exp: iat + 3600 };
    };
    const side = (operation: (i: number) => string) => async (): Promise<Metrics> => ({ rate: runTightLoop(durationMs, operation) });
    return {
      groups: [
        {
          name: 'tokens',
          warmup: true,
          roundTimeoutMs: durationMs * 10 + 5000,
          sides: {
            ours: side((i) => issuer.clientToken({ audience: AUDIENCE, userId: `user${i & 1023}` })),
            hand: side((i) => hand.sign({ aud: AUDIENCE, 'asrs.s.uid': `user${i & 1023}` })),
            jsonwebtokenKeyObject: side((i) => jwt.sign(jwtClaims(i), keyObject, { algorithm: 'HS256', noTimestamp: true })),
            jsonwebtokenString: side((i) => jwt.sign(jwtClaims(i), BENCH_ACCESS_KEY, { algorithm: 'HS256', noTimestamp: true })),
          },
          rows: [
            { label: 'tokens: TokenIssuer vs hand HS256', metric: 'rate', unit: 'tok/s', ours: 'ours', baseline: 'hand', target: ratioAtLeast(0.5) },
            { label: 'tokens: jsonwebtoken+KeyObject vs hand', metric: 'rate', unit: 'tok/s', ours: 'jsonwebtokenKeyObject', baseline: 'hand' },
            { label: 'tokens: jsonwebtoken+string vs hand', metric: 'rate', unit: 'tok/s', ours: 'jsonwebtokenString', baseline: 'hand' },
          ],
        },
      ],
      close: async () => undefined,
    };
  },
};
