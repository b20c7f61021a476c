/**
 * The OpenAPI 3.1 document, generated from the router's table: every route's path, query docs,
 * body schema and response schemas are the ones the relay validates and answers with, so the
 * document cannot drift from the behaviour.
 */
import { z } from 'zod';
import { ROOM_ID_RE } from '../../protocol/index.js';
import type { RouteDef } from '../http/router.js';

type Json = Record<string, unknown>;

export const SIGNED_SCHEME = 'Bot2BotSignature';
export const ADMIN_SCHEME = 'AdminBearer';

/** Zod → JSON Schema, with named sub-schemas hoisted into `components.schemas`. */
class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
    const text = JSON.stringify(out).replace(/"#\/\$defs\//g, '"#/components/schemas/');
    const doc = JSON.parse(text) as Json;
    delete doc.$schema;
    const defs = doc.$defs as Record<string, Json> | undefined;
    delete doc.$defs;
    for (const [name, def] of Object.entries(defs ?? {})) {
      if (!(name in this.components)) this.components[name] = def;
    }
    return doc;
  }
}

export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function pathParams(path: string): Json[] {
  return [...path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: name === 'roomId' ? { type: 'string', pattern: ROOM_ID_RE.source } : { type: 'string' },
  }));
}

function operationId(def: RouteDef): string {
  const words = def.path
    .split('/')
    .filter((s) => s && s !== 'api')
    .map((s) => s.replace(/^:/, 'by-').replace(/[^A-Za-z0-9]+/g, '-'));
  return [def.method.toLowerCase(), ...words].join('-').replace(/-+/g, '-').replace(/-$/, '');
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  serverUrl: string;
}

export function buildOpenApi(routes: readonly RouteDef[], info: OpenApiInfo): Json {
  const schemas = new SchemaCollector();
  const paths: Record<string, Record<string, Json>> = {};
  const tags = new Set<string>();
  for (const def of routes) {
    if (def.hidden) continue;
    tags.add(def.tag);
    const op: Json = { operationId: operationId(def), tags: [def.tag], summary: def.summary };
    if (def.description) op.description = def.description;
    const params = [
      ...pathParams(def.path),
      ...(def.query ?? []).map((q) => ({
        name: q.name,
        in: 'query',
        required: false,
        description: q.description,
        schema: q.schema,
      })),
    ];
    if (params.length > 0) op.parameters = params;
    if (def.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemas.convert(def.body, 'input') } },
      };
    }
    if (def.auth === 'signed') op.security = [{ [SIGNED_SCHEME]: [] }];
    if (def.auth === 'admin') op.security = [{ [ADMIN_SCHEME]: [] }];
    const responses: Json = {};
    for (const [status, r] of Object.entries(def.responses)) {
      const entry: Json = { description: r.description };
      const type = r.contentType ?? 'application/json';
      if (r.schema) entry.content = { [type]: { schema: schemas.convert(r.schema, 'output') } };
      else if (r.contentType) entry.content = { [type]: { schema: { type: 'string' } } };
      responses[status] = entry;
    }
    op.responses = responses;
    const key = openApiPath(def.path);
    (paths[key] ??= {})[def.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: info.serverUrl }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        [SIGNED_SCHEME]: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'Bot2Bot ts=<ms>,n=<nonce>,sig=<base64 Ed25519>. The signature covers "<METHOD> <path and query exactly as sent> <ts> <nonce>", with ts within ±60 s and a nonce of 16–64 characters of [A-Za-z0-9+/=_-], never reused.',
        },
        [ADMIN_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'the operator token (IDENTITY_ADMIN_TOKEN)',
        },
      },
    },
  };
}
