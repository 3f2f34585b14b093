/**
 * Cross-check of restSpecTable.ts against the service's published OpenAPI files, only when SIGNALR_REFERENCE_DIR
 * names a folder holding them (the project's CI sets it when it has a copy). The table itself is the project's
 * own: without that setting the cross-check is skipped and nothing reads outside the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REST_OPERATIONS, RestApiVersion } from './restSpecTable';

const REFERENCE_DIR = process.env.SIGNALR_REFERENCE_DIR;
const OPENAPI_FILES: Record<RestApiVersion, string> = {
  '2022-06-01': 'signalr-rest-2022-06-01.swagger.json',
  v1: 'signalr-rest-v1.swagger.json',
};
const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch'];

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

/** One line per operation: api, method, path, success and error statuses, in a comparable form. */
function describeOperation(api: string, method: string, template: string, statuses: number[]): string {
  const sorted = [...statuses].sort((a, b) => a - b);
  const success = sorted.filter((s) => s >= 200 && s < 300);
  const errors = sorted.filter((s) => s >= 400);
  return `${api} ${method.toUpperCase()} ${template} success=${success.join(',')} errors=${errors.join(',')}`;
}

function fromOpenApi(referenceDir: string, api: RestApiVersion): string[] {
  const doc = JSON.parse(fs.readFileSync(path.join(referenceDir, OPENAPI_FILES[api]), 'utf8')) as OpenApiDocument;
  return Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => describeOperation(api, method, template, Object.keys(op.responses ?? {}).filter((c) => /^\d{3}$/.test(c)).map(Number))),
  );
}

if (REFERENCE_DIR === undefined) {
  console.info('restSpecTable cross-check skipped: SIGNALR_REFERENCE_DIR is not set (the table is checked for its shape only).');
}
const crossCheck = REFERENCE_DIR === undefined ? test.skip : test;

function referenceDir(): string {
  if (REFERENCE_DIR === undefined) throw new Error('SIGNALR_REFERENCE_DIR is not set');
  return REFERENCE_DIR;
}

test('every row is well formed: its version prefix, known path parameters, 2xx successes, 4xx errors', () => {
  const prefixes: Record<RestApiVersion, RegExp> = { '2022-06-01': /^\/api\/(health|hubs\/\{hub\})/, v1: /^\/api\/v1\/(health|hubs\/\{hub\})/ };
  for (const op of REST_OPERATIONS) {
    const row = `${op.api} ${op.method} ${op.path}`;
    expect({ row, prefix: prefixes[op.api].test(op.path) }).toEqual({ row, prefix: true });
    expect({ row, params: op.path.match(/\{\w+\}/g)?.filter((p) => !['{hub}', '{user}', '{id}', '{group}', '{connectionId}'].includes(p)) ?? [] }).toEqual({ row, params: [] });
    expect({ row, success: op.success.filter((s) => s < 200 || s > 299), errors: op.errors.filter((s) => s < 400 || s > 499) }).toEqual({ row, success: [], errors: [] });
  }
});

describe.each(Object.keys(OPENAPI_FILES) as RestApiVersion[])('REST API %s', (api) => {
  crossCheck(`the table lists exactly the operations and statuses of ${OPENAPI_FILES[api]} in SIGNALR_REFERENCE_DIR`, () => {
    const table = REST_OPERATIONS.filter((o) => o.api === api).map((o) => describeOperation(api, o.method, o.path, [...o.success, ...o.errors]));
    expect(table.sort()).toEqual(fromOpenApi(referenceDir(), api).sort());
  });
});
