export { createRestHandler } from './handler';
export type { RestHandler, RestHandlerOptions } from './handler';
export { DEFAULT_MAX_BODY_BYTES } from './body';
export { MS_ERROR_CODE_HEADER, RequestErrorCodes, ServiceErrorCodes } from './errors';
export type { ErrorBody } from './errors';
export { operations } from './operations';
export { listRoutes } from './routes';
