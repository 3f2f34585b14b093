import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { toErrorResponse } from '../bindings/errorResponse';

/**
 * Runs a function body and turns any failure into the app's JSON error response (see errorMapping.ts),
 * so no function ever answers with a bare 500 or a stack trace.
 */
export async function guard(context: InvocationContext, body: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await body();
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

/** JSON success response that is never cached (answers carry tokens or depend on the caller). */
export function jsonResponse(status: number, body: unknown): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store' } };
}
