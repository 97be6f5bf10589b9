import { PylonError } from '@pylon/core';
import type { AppContext, Services } from '../../http/context.js';
import { type AnyRoute, type Method, routeHandler } from '../../http/route-table.js';

/** The API route tables the console acts through, by surface (`auth` is `/api/auth`). */
export interface ConsoleRouteTables {
  auth: readonly AnyRoute[];
  rbac: readonly AnyRoute[];
}

/**
 * Every console read and action is one call of the same route handler the CLI reaches over HTTP:
 * the route's own zod schemas parse the input, the handler resolves the caller from this request
 * (the session cookie, which already passed the session resolver's Origin check) and checks
 * capabilities exactly as it does for `pylon`. The console route must name its path parameters as
 * the API route does (`:id`, `:appId`, …), since the handler reads them from this request.
 */
export class ConsoleAPI {
  private byKey: Map<string, { surface: 'auth' | 'rbac'; route: AnyRoute }> | null = null;

  /** `tables` may still be filling while the server is built: they are indexed at the first call. */
  constructor(
    private readonly tables: ConsoleRouteTables,
    private readonly services: Services,
  ) {}

  private index(): Map<string, { surface: 'auth' | 'rbac'; route: AnyRoute }> {
    if (this.byKey === null) {
      this.byKey = new Map();
      for (const surface of ['auth', 'rbac'] as const) {
        for (const route of this.tables[surface]) {
          this.byKey.set(`${surface} ${route.method} ${route.path}`, { surface, route });
        }
      }
    }
    return this.byKey;
  }

  /** Call `method path` (as the route table declares it) and return its JSON answer. */
  async call<T = unknown>(
    c: AppContext,
    surface: 'auth' | 'rbac',
    method: Method,
    path: string,
    input: { body?: unknown; query?: Record<string, string> } = {},
  ): Promise<T> {
    const found = this.index().get(`${surface} ${method} ${path}`);
    if (!found) throw new Error(`The console calls ${method} ${path}, which the ${surface} surface lacks`);
    const { route } = found;
    const parse = (schema: AnyRoute['body'], value: unknown) => {
      if (!schema) return undefined;
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      const first = parsed.error.issues[0];
      const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
      throw new PylonError(surface === 'rbac' ? 'validation_failed' : 'VALIDATION_FAILED', {
        message: `${where}${first?.message ?? 'invalid input'}`,
      });
    };
    const body = parse(route.body, input.body ?? {});
    const query = parse(route.query, input.query ?? {});
    const response = await routeHandler(route)(c, { body, query }, this.services);
    return (await response.json()) as T;
  }
}
