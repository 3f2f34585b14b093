/**
 * The Azure SignalR Service's limits, defined once for both sides: the service client and the adapter refuse a
 * value before sending it (a clear 4xx naming the field instead of the service's refusal turning into a 502),
 * and the emulator refuses it the way the service does.
 *
 * There is no limit on the number of message arguments of its own: the arguments are bounded by the body size
 * and the nesting depth below.
 */

/** Access tokens (REST and client) longer than this many characters are refused. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;

/** REST request bodies (one message with its arguments) over this many bytes are refused with 413. */
export const MAX_REST_BODY_BYTES = 1024 * 1024;

/** A client connection may send messages up to this many bytes; a larger one closes the connection. */
export const MAX_CLIENT_MESSAGE_BYTES = 1024 * 1024;

/**
 * Deepest JSON nesting of a REST send body, the body object itself counting as the first level: the
 * service's JSON stacks (System.Text.Json, Json.NET) stop at 64 levels.
 */
export const MAX_MESSAGE_DEPTH = 64;

/** The arguments array sits one level inside the body, so it may nest one level less. */
export const MAX_ARGUMENTS_DEPTH = MAX_MESSAGE_DEPTH - 1;

/** Hub names (and the `application` prefix): a letter, then up to 127 more characters. */
export const MAX_HUB_NAME_LENGTH = 128;

/** Group names: 1 to this many characters (the swagger's maxLength). */
export const MAX_GROUP_NAME_LENGTH = 1024;

/** User ids: 1 to this many characters (the swagger's maxLength for `user`). */
export const MAX_USER_ID_LENGTH = 1024;

/**
 * Connection ids: the swagger sets only a minimum. The same 1024 bound as user ids applies on both sides, because
 * a REST token's `aud` holds the request URL and a far longer id could not fit the 4 KB token limit: the caller
 * would get a 401 from the service instead of a clear 400.
 */
export const MAX_CONNECTION_ID_LENGTH = 1024;

/** Lifetime of access tokens when the caller names none (the SDKs' default: one hour). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
