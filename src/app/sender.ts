import { forbidden } from '../bindings/httpErrors';
import type { Caller } from './identity';

/** The argument property that names who sent a message. */
export const SENDER_PROPERTY = 'sender';

/**
 * The sender rule of `sendMessage`, so receivers can trust `sender`:
 *
 * - Arguments are passed to receivers as given, except that every argument which is a plain JSON object gets
 *   `sender` = the caller's user id when the caller is identified (principal or allowed client user id).
 * - A `sender` that differs from the identified caller is refused (403 `SenderMismatch`): nobody can write
 *   in another user's name.
 * - An anonymous caller may not put `sender` in an object argument at all (403 `SenderNotAllowed`): with no
 *   identity there is nothing to vouch for. Its object arguments simply carry no `sender`.
 * Non-object arguments (strings, numbers, arrays) are untouched: the rule only covers the `sender` property
 * (in any casing: `Sender` is refused or accepted by the same rule, since case-insensitive readers see one property).
 *
 * `pathPrefix` is the item's field path (`` or `[2]`), used in error fields such as `[2].arguments[0].sender`.
 */
export function applySenderRule(args: readonly unknown[], caller: Caller, pathPrefix: string): unknown[] {
  return args.map((argument, position) => {
    if (typeof argument !== 'object' || argument === null || Array.isArray(argument)) return argument;
    const record = argument as Record<string, unknown>;
    const fieldOf = (key: string): string => `${pathPrefix === '' ? '' : `${pathPrefix}.`}arguments[${position}].${key}`;
    // Every casing counts: .NET SignalR clients read payloads case-insensitively (the last of `sender` /
    // `Sender` in the JSON wins), so a `Sender` beside a stamped `sender` would still forge the sender there.
    const senderKeys = Object.keys(record).filter((key) => key.toLowerCase() === SENDER_PROPERTY && record[key] !== undefined);
    if (caller.kind === 'anonymous') {
      if (senderKeys.length > 0) {
        throw forbidden('SenderNotAllowed', `"${SENDER_PROPERTY}" can only be set for an identified caller (sign in, or send x-user-id where allowed)`, fieldOf(senderKeys[0]));
      }
      return argument;
    }
    const forged = senderKeys.find((key) => record[key] !== caller.userId);
    if (forged !== undefined) {
      throw forbidden('SenderMismatch', `"${SENDER_PROPERTY}" must be the calling user's own id`, fieldOf(forged));
    }
    return { ...record, [SENDER_PROPERTY]: caller.userId };
  });
}
