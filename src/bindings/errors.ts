/**
 * Errors raised by the in-process SignalR binding adapter. They carry the output item's index and the
 * field at fault so callers (and logs) can say exactly which item was wrong, and never carry secrets.
 */

/** Renders `[2].target` for arrays and `target` for a single item. */
export function itemFieldPath(index: number | undefined, field: string): string {
  return index === undefined ? field : `[${index}]${field === '' ? '' : `.${field}`}`;
}

/** A `signalR` output item (SignalRMessage or SignalRGroupAction) is malformed. */
export class SignalROutputValidationError extends Error {
  /** Position in the output array; undefined when the output was one object. */
  readonly index?: number;
  /** The item's field at fault (camelCase), or '' for the item itself. */
  readonly field: string;
  /** `[index].field` or `field`: what an HTTP 400 names as its `field`. */
  readonly path: string;

  constructor(index: number | undefined, field: string, problem: string) {
    const path = itemFieldPath(index, field);
    const where = index === undefined ? 'signalR output' : `signalR output item [${index}]`;
    super(field === '' ? `${where}: ${problem}` : `${where}: "${field}" ${problem}`);
    this.name = 'SignalROutputValidationError';
    if (index !== undefined) this.index = index;
    this.field = field;
    this.path = path;
  }
}

/**
 * Sending one output item to the service failed. Items before it were sent, items after it were not
 * (sends are sequential). `cause` is the REST layer's error (SignalRServiceError, SignalRTimeoutError, ...).
 */
export class SignalRSendError extends Error {
  readonly index?: number;
  /** Human description of the operation, e.g. "send to group 'room1'". */
  readonly operation: string;
  /** How many items were sent before this one failed. */
  readonly sentBefore: number;
  readonly total: number;
  override readonly cause: unknown;

  constructor(index: number | undefined, operation: string, sentBefore: number, total: number, cause: unknown) {
    const where = index === undefined ? 'signalR output' : `signalR output item [${index}]`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const progress = total > 1 ? ` (${sentBefore} of ${total} items were sent before it; the rest were not)` : '';
    super(`${where} (${operation}) failed: ${reason}${progress}`);
    this.name = 'SignalRSendError';
    if (index !== undefined) this.index = index;
    this.operation = operation;
    this.sentBefore = sentBefore;
    this.total = total;
    this.cause = cause;
  }
}

/** A `signalRConnectionInfo` input could not be resolved from the request (e.g. its hub name expression is empty). */
export class SignalRInputError extends Error {
  /** The binding property at fault: `hubName`, `userId`, `idToken`. */
  readonly property: string;
  /** True when the value came from the request (the caller's fault: 400), false when from the declaration (500). */
  readonly fromRequest: boolean;

  constructor(property: string, message: string, fromRequest: boolean) {
    super(message);
    this.name = 'SignalRInputError';
    this.property = property;
    this.fromRequest = fromRequest;
  }
}
