/**
 * A value breaks one of the service's rules (a name, an id, a message). Thrown by the contract's validators,
 * before anything is sent: the service client passes it on to its caller (`parameter` names the argument at
 * fault), and the emulator answers it with the service's 400.
 */
export class ServiceRuleError extends Error {
  /** The argument or field at fault, e.g. `hub`, `group`, `payload.target`. */
  readonly parameter: string;
  /** The rule that was broken, without the parameter's name (for callers that name the field themselves). */
  readonly problem: string;

  constructor(parameter: string, problem: string) {
    super(`${parameter}: ${problem}`);
    this.name = 'ServiceRuleError';
    this.parameter = parameter;
    this.problem = problem;
  }
}

/**
 * A message over the service's body limit. Still a ServiceRuleError, but its own class so callers answer it as
 * the service would (413), not as a malformed argument (400).
 */
export class PayloadTooLargeError extends ServiceRuleError {
  constructor(parameter: string, problem: string) {
    super(parameter, problem);
    this.name = 'PayloadTooLargeError';
  }
}
