/** The two ways a REST call is authorized: a locally signed JWT (AccessKey) or an Entra ID token. */
import type { RestAuthorizer } from '../rest/client';
import type { TokenIssuer } from './tokens';

export function accessKeyAuthorizer(issuer: TokenIssuer): RestAuthorizer {
  return { authorization: (audience) => `Bearer ${issuer.restToken(audience)}` };
}

// Defined beside the token source, which uses it for its own access-key request.
export { entraAuthorizer } from './entra';
