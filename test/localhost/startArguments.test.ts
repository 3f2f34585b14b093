import * as path from 'path';
import { parseStartArguments, StartupError } from '../../src/localhost/start';

describe("npm start's command line", () => {
  const env = { FUNCTIONS_PROJECT_ROOT: '/app' };

  it('defaults to the project root from the environment, the emulator and Core Tools', () => {
    expect(parseStartArguments([], env)).toEqual({ projectRoot: path.resolve('/app'), emulator: true, useCoreTools: true });
  });

  it('reads every flag, in both --flag value and --flag=value forms, and -p', () => {
    expect(parseStartArguments(['--port', '7072', '--project-root=/other', '--no-emulator', '--no-func'], env)).toEqual({
      projectRoot: path.resolve('/other'), port: 7072, emulator: false, useCoreTools: false,
    });
    expect(parseStartArguments(['-p', '0'], env).port).toBe(0);
  });

  it('reads --endpoints', () => {
    expect(parseStartArguments(['--endpoints', '3'], env).endpoints).toBe(3);
    expect(parseStartArguments(['--endpoints=1'], env).endpoints).toBe(1);
    expect(parseStartArguments([], env).endpoints).toBeUndefined();
  });

  it('lets a flag win over the environment', () => {
    expect(parseStartArguments(['--port', '9000'], { ...env, FUNCTIONS_HTTP_PORT: '8000' }).port).toBe(9000);
    expect(parseStartArguments([], { ...env, FUNCTIONS_HTTP_PORT: '8000', SIGNALR_EMULATOR_AUTOSTART: 'false', FUNCTIONS_USE_LOCAL_HOST: 'true' })).toMatchObject({
      port: 8000, emulator: false, useCoreTools: false,
    });
  });

  it.each([
    [['--bogus'], /Unknown option --bogus\. Known: --port <n>/],
    [['stray'], /Unknown option stray\./],
    [['--port'], /--port needs a value/],
    [['--port', 'abc'], /--port must be a port number 0-65535, got "abc"/],
    [['--port', '70000'], /--port must be a port number/],
    [['--endpoints', '0'], /--endpoints must be a number of emulators from 1 to 9, got "0"/],
    [['--endpoints', 'three'], /--endpoints must be a number/],
    [['--endpoints', '10'], /--endpoints must be a number/],
    [['--endpoints', '2', '--no-emulator'], /cannot be combined with --no-emulator/],
  ])('refuses %j with a one-line reason', (argv, message) => {
    expect(() => parseStartArguments(argv, env)).toThrow(StartupError);
    expect(() => parseStartArguments(argv, env)).toThrow(message);
  });
});
