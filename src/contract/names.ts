/**
 * The service's naming rules (reference doc and the 2022-06-01 swagger), in one place for everything that checks
 * a name: the REST client, the functions and the adapter before they call the service, and the emulator when it
 * plays the service.
 */

/** Hub names: a letter, then up to 127 letters, digits or _`,.[] (the SDKs lower-case them). */
export const HUB_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;

/** Group names: 1 to this many characters, not only whitespace. */
export const MAX_GROUP_NAME_LENGTH = 1024;
