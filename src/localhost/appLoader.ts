/**
 * Loads the app's entry files with our `@azure/functions-core` shim in place and collects what they register.
 */
import { functionsCore, installFunctionsCoreShim, Registrations } from './functionsCore';
import { findEntryFiles, readMainPattern } from './entryFiles';

/**
 * Registrations per entry file. A module runs once per process (and once per jest module registry), so
 * loading the same file for a second host in the same process must reuse what it registered the first time.
 */
const registrationsByFile = new Map<string, Registrations>();

export interface LoadedApp {
  entryFiles: string[];
  registrations: Registrations;
}

export class AppLoadError extends Error {
  override name = 'AppLoadError';
}

/**
 * @param projectRoot directory holding package.json (the function app directory)
 * @param entry optional glob/file overriding package.json `main` (relative to projectRoot)
 */
export function loadApp(projectRoot: string, entry?: string): LoadedApp {
  installFunctionsCoreShim();
  const entryFiles = findEntryFiles(projectRoot, entry ?? readMainPattern(projectRoot));
  const registrations = new Registrations();
  for (const file of entryFiles) {
    const fileRegistrations = loadEntryFile(file);
    registrations.functions.push(...fileRegistrations.functions);
    registrations.hooks.push(...fileRegistrations.hooks);
  }
  // Anything registered after loading (e.g. a hook added later at runtime) lands here.
  functionsCore.setTarget(registrations);
  return { entryFiles, registrations };
}

function loadEntryFile(file: string): Registrations {
  const known = registrationsByFile.get(file);
  if (known) return known;
  const fileRegistrations = new Registrations();
  functionsCore.setTarget(fileRegistrations);
  try {
    // A plain require, like the worker: under jest this goes through jest's registry (see functionsCore.ts).
    require(file);
  } catch (error) {
    throw new AppLoadError(`Failed to load entry file ${file}: ${(error as Error).message}`);
  }
  registrationsByFile.set(file, fileRegistrations);
  return fileRegistrations;
}
