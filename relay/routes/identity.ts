import type { RelayDeps } from '../deps.js';
import type { RouteDef } from '../http/router.js';

/** Placeholder until the module lands: no routes yet. */
export function identityRoutes(_deps: RelayDeps): RouteDef[] {
  return [];
}
