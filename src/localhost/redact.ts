/**
 * Removes secrets from text that is about to be logged: connection-string keys, bearer tokens, JWTs,
 * `code=`/`sig=` query values, and the literal values of secret-looking environment variables.
 */
const hidden = '***';

const patterns: RegExp[] = [
  /\b(AccessKey|AccountKey|SharedAccessKey|Password|pwd|ClientSecret)=[^;\s"']*/gi,
  /([?&](?:code|sig|access_token|key)=)[^&\s"']*/gi,
  /\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g,
];

const secretNamePattern = /(key|secret|password|token|connectionstring|connection_string|sas)/i;

export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return redactKnown(text, secretValues(env));
}

/** A redactor with the environment's secrets collected once (the host logs on every request). */
export function createRedactor(env: NodeJS.ProcessEnv = process.env): (text: string) => string {
  const secrets = secretValues(env);
  return (text) => redactKnown(text, secrets);
}

function redactKnown(text: string, secrets: string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join(hidden);
  result = result.replace(patterns[0], (_match, key: string) => `${key}=${hidden}`);
  result = result.replace(patterns[1], (_match, prefix: string) => `${prefix}${hidden}`);
  result = result.replace(patterns[2], (_match, prefix: string) => `${prefix}${hidden}`);
  result = result.replace(patterns[3], hidden);
  return result;
}

/** Values of secret-looking variables, plus the keys inside any connection string in the environment. */
function secretValues(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (value.length >= 8 && secretNamePattern.test(name)) secrets.push(value);
    for (const found of value.matchAll(/(?:AccessKey|AccountKey|SharedAccessKey|Password|ClientSecret)=([^;]{8,})/gi)) {
      secrets.push(found[1]);
    }
  }
  // Longest first, so a whole connection string is hidden before the key inside it.
  return secrets.sort((a, b) => b.length - a.length);
}
