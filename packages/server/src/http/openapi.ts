import { z } from 'zod';
import type { AnyRoute } from './route-table.js';
import { SECURITY_SCHEMES } from './security-schemes.js';

export interface OpenAPIMount {
  /** OpenAPI-style prefix, e.g. `/api/auth` or `/o/{orgId}`. */
  prefix: string;
  routes: AnyRoute[];
  /** Path parameters the prefix introduces. */
  prefixParameters?: string[];
}

type JSONSchema = Record<string, unknown>;

function toJSONSchema(schema: z.ZodType, io: 'input' | 'output'): JSONSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JSONSchema;
  return rest;
}

/** Hono `:param` → OpenAPI `{param}`. */
function openAPIPath(prefix: string, path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_match, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  const full = `${prefix}${converted === '/' && prefix !== '' ? '' : converted}`;
  return { path: full === '' ? '/' : full, params };
}

function queryParameters(schema: z.ZodType | undefined): unknown[] {
  if (!schema) return [];
  const json = toJSONSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JSONSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

/**
 * The OpenAPI 3.1 document, built from the same route table (and zod schemas) that serve and
 * validate requests, so it cannot drift from what the server does.
 */
export function buildOpenAPIDocument(
  info: { title: string; version: string; serverURL: string },
  mounts: OpenAPIMount[],
): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const mount of mounts) {
    for (const route of mount.routes) {
      const { path, params } = openAPIPath(mount.prefix, route.path);
      const pathParameters = [...(mount.prefixParameters ?? []), ...params].map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const responses = Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema
              ? { content: { 'application/json': { schema: toJSONSchema(response.schema, 'output') } } }
              : {}),
          },
        ]),
      );
      const operation: Record<string, unknown> = {
        summary: route.summary,
        operationId: `${route.method}${path.replace(/[^A-Za-z0-9]+/g, '_')}`,
        ...(route.tags ? { tags: route.tags } : {}),
        parameters: [...pathParameters, ...queryParameters(route.query)],
        responses,
      };
      if (route.body) {
        const schema = toJSONSchema(route.body, 'input');
        operation.requestBody = {
          required: true,
          content: {
            'application/json': { schema },
            ...(route.acceptsForm ? { 'application/x-www-form-urlencoded': { schema } } : {}),
          },
        };
      }
      if (route.security) {
        // OpenAPI 3.1 §4.8.10: an empty requirement makes the others optional.
        operation.security = [
          ...route.security.map((name) => ({ [name]: [] })),
          ...(route.anonymous === 'served' ? [{}] : []),
        ];
      }
      paths[path] = { ...paths[path], [route.method]: operation };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverURL }],
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
