/** A route template the Functions host would refuse; the message names the template and what is wrong. */
export class RouteTemplateError extends Error {
  override name = 'RouteTemplateError';
}
