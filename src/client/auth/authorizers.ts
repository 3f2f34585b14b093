/** The two ways a REST call is authorized: a locally signed JWT (AccessKey) or an Entra ID token. */
import type { RestAuthorizer } from '../rest/client';
import type { EntraTokenSource } from './entra';
import type { TokenIssuer } from './tokens';

export function accessKeyAuthorizer(issuer: TokenIssuer): RestAuthorizer {
  return { authorization: (audience) => `Bearer ${issuer.restToken(audience)}` };
}

export function entraAuthorizer(tokens: EntraTokenSource): RestAuthorizer {
  return { authorization: async (_audience, signal) => `Bearer ${await tokens.token(signal)}` };
}
