/**
 * One invocation, in the order the Node.js worker runs it: build the InvocationContext, run preInvocation
 * hooks (which may replace the inputs or the handler), call `handler(...inputs, context)`, run
 * postInvocation hooks (which may replace the result or the error), then rethrow the error or return the result.
 */
import { format } from 'util';
import { InvocationContext, type LogLevel } from '@azure/functions';
import type { CoreHookCallback, Registrations } from './functionsCore';
import type { HttpFunction } from './functionTable';

export type InvocationLog = (level: LogLevel, functionName: string, message: string, invocationId: string) => void;

/** Extra input/output bindings are Azure services the local host cannot reach; callers may plug them in. */
export interface BindingHandler {
  /** Value for an extra input binding of this type. */
  input?(binding: Record<string, unknown>, context: InvocationContext): Promise<unknown> | unknown;
  /** Receives an extra output binding's value after a successful invocation. */
  output?(binding: Record<string, unknown>, value: unknown, context: InvocationContext): Promise<void> | void;
}

export interface InvokeOptions {
  fn: HttpFunction;
  invocationId: string;
  trigger: unknown;
  registrations: Registrations;
  appHookData: Record<string, unknown>;
  log: InvocationLog;
  bindingHandlers: Record<string, BindingHandler>;
}

async function runHooks(hooks: CoreHookCallback[], context: object): Promise<void> {
  for (const hook of hooks) await hook(context);
}

export async function invokeFunction(options: InvokeOptions): Promise<{ result: unknown; context: InvocationContext }> {
  const { fn, invocationId, registrations, appHookData, log, bindingHandlers } = options;
  const context = new InvocationContext({
    invocationId,
    functionName: fn.name,
    options: fn.options,
    logHandler: (level, ...args) => log(level, fn.name, format(...args), invocationId),
  });

  for (const binding of fn.options.extraInputs) {
    const handler = bindingHandlers[binding.type.toLowerCase()];
    if (handler?.input) context.extraInputs.set(binding.name, await handler.input(binding, context));
  }

  const hookData: Record<string, unknown> = {};
  const preContext = {
    hookData,
    appHookData,
    invocationContext: context,
    inputs: [options.trigger] as unknown[],
    functionCallback: fn.callback,
  };
  await runHooks(registrations.hooksNamed('preInvocation'), preContext);

  let result: unknown;
  let error: unknown;
  try {
    result = await preContext.functionCallback(...preContext.inputs, context);
  } catch (thrown) {
    error = thrown;
  }

  const postContext = { hookData, appHookData, invocationContext: context, inputs: preContext.inputs, result, error };
  await runHooks(registrations.hooksNamed('postInvocation'), postContext);
  if (postContext.error !== undefined && postContext.error !== null) throw postContext.error;

  for (const binding of fn.options.extraOutputs) {
    const value = context.extraOutputs.get(binding.name);
    if (value === undefined) continue;
    const handler = bindingHandlers[binding.type.toLowerCase()];
    if (handler?.output) await handler.output(binding, value, context);
    else log('warning', fn.name, `Output binding "${binding.name}" (type ${binding.type}) is not available in the local host; its value was dropped.`, invocationId);
  }
  return { result: postContext.result, context };
}
