import type { RelayDeps } from '../deps.js';
import type { RouteDef, Router } from '../http/router.js';

/** Placeholder until the module lands: OpenAPI, Swagger UI, llms.txt, the Python SDK download. */
export function docsRoutes(_deps: RelayDeps, _router: Router): RouteDef[] {
  return [];
}
