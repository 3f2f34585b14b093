/**
 * Our stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker provides at runtime.
 *
 * `@azure/functions` (`app.http`, `app.hook.*`) does `require('@azure/functions-core')` and hands it every
 * registration. Providing that module ourselves lets the local host receive the very same registrations the
 * real worker would, so there is no second list of functions. The API shape follows the worker's
 * `types-core/index.d.ts` (registerFunction, registerHook, setProgrammingModel, getProgrammingModel, log,
 * Disposable, version, hostVersion).
 */
import Module = require('module');

/** The binding description the library sends (`toCoreFunctionMetadata`): type, direction and binding options. */
export interface CoreBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  [option: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBindingInfo>;
  [other: string]: unknown;
}

/** The library calls the handler as `handler(...inputs, context)`. */
export type CoreFunctionCallback = (...args: unknown[]) => unknown;
export type CoreHookCallback = (context: object) => unknown;
export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type CoreLogCategory = 'user' | 'system' | 'customMetric';

export interface RegisteredFunction {
  metadata: CoreFunctionMetadata;
  callback: CoreFunctionCallback;
}

export interface RegisteredHook {
  hookName: string;
  callback: CoreHookCallback;
}

/** The same contract as the worker's `Disposable` (VS Code style). */
export class Disposable {
  static from(...disposables: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const disposable of disposables) disposable.dispose();
    });
  }

  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return callback?.();
  }
}

/** What a set of loaded entry files registered: functions and hooks, in registration order. */
export class Registrations {
  readonly functions: RegisteredFunction[] = [];
  readonly hooks: RegisteredHook[] = [];

  hooksNamed(hookName: string): CoreHookCallback[] {
    return this.hooks.filter((hook) => hook.hookName === hookName).map((hook) => hook.callback);
  }
}

export type SystemLogSink = (level: CoreLogLevel, category: CoreLogCategory, message: string) => void;

const hookNames = new Set(['preInvocation', 'postInvocation', 'appStart', 'appTerminate', 'log']);

/**
 * The module object handed to `require('@azure/functions-core')`. Registrations go to whichever
 * `Registrations` is the current target: the loader points it at the entry file being required, which is
 * when `app.http(...)` calls happen. Late registrations (after loading) go to the last target.
 */
class FunctionsCoreShim {
  readonly version = '3.0.0-local';
  readonly hostVersion = '4.0.0-local';
  readonly Disposable = Disposable;
  #target = new Registrations();
  #programmingModel: unknown = { name: 'none', version: '0.0.0' };
  #systemLog: SystemLogSink = (level, _category, message) => {
    if (level === 'error' || level === 'critical' || level === 'warning') console.error(message);
  };

  setTarget(target: Registrations): void {
    this.#target = target;
  }

  setSystemLog(sink: SystemLogSink): void {
    this.#systemLog = sink;
  }

  registerFunction = (metadata: CoreFunctionMetadata, callback: CoreFunctionCallback): Disposable => {
    const registration: RegisteredFunction = { metadata, callback };
    const list = this.#target.functions;
    list.push(registration);
    return new Disposable(() => removeItem(list, registration));
  };

  registerHook = (hookName: string, callback: CoreHookCallback): Disposable => {
    if (!hookNames.has(hookName)) {
      // The worker rejects unknown hook names with a RangeError; the library relies on that for log hooks.
      const error = new RangeError(`Unrecognized hook "${hookName}"`);
      throw Object.assign(error, { isAzureFunctionsSystemError: true });
    }
    const hook: RegisteredHook = { hookName, callback };
    const list = this.#target.hooks;
    list.push(hook);
    return new Disposable(() => removeItem(list, hook));
  };

  setProgrammingModel = (programmingModel: unknown): void => {
    this.#programmingModel = programmingModel;
  };

  getProgrammingModel = (): unknown => this.#programmingModel;

  log = (level: CoreLogLevel, category: CoreLogCategory, message: string): void => {
    this.#systemLog(level, category, message);
  };
}

function removeItem<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}

export const functionsCore = new FunctionsCoreShim();

export const functionsCoreModuleId = '@azure/functions-core';

interface ModuleLoader {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

let installed = false;

/**
 * Make `require('@azure/functions-core')` return our shim, as the worker does for the app it hosts.
 * Idempotent. Under jest, `require` does not go through `Module._load` (jest has its own module
 * registry), so tests register the shim with `jest.mock(functionsCoreModuleId, ..., { virtual: true })`.
 */
export function installFunctionsCoreShim(): void {
  if (installed) return;
  installed = true;
  const loader = Module as unknown as ModuleLoader;
  const originalLoad = loader._load;
  loader._load = function loadWithFunctionsCore(request: string, parent: unknown, isMain: boolean): unknown {
    if (request === functionsCoreModuleId) return functionsCore;
    return originalLoad.call(this, request, parent, isMain);
  };
}
