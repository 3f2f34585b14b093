export { createRestHandler } from './handler';
export type { RestHandler, RestHandlerOptions } from './handler';
export { listRoutes } from './routes';
