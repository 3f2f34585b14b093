/**
 * jsonwebtoken, loaded when a token is first signed or read instead of with the app. Loading it (and the `semver`
 * it loads) is about a quarter of the function app's own load time, which every cold start of an instance pays
 * before its first request, whether or not that instance ever signs a token (a timer or queue function does not).
 */
import type * as JsonWebToken from 'jsonwebtoken';

let loaded: typeof JsonWebToken | undefined;

export function jsonwebtoken(): typeof JsonWebToken {
  // A require, not an import: an import is hoisted and loaded with this file, which is what this file avoids.
  loaded ??= require('jsonwebtoken') as typeof JsonWebToken;
  return loaded;
}
