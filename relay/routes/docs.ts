/**
 * Documentation routes: the generated OpenAPI document, Swagger UI (from the swagger-ui-dist
 * package, with an external init script because the CSP forbids inline scripts), /llms.txt and
 * the agent tools this relay hands out under /sdk/ (the Python SDK and launchers, and npm tarballs
 * of the CLI and the MCP server packed at build time, so they always match this relay's version).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { ERR, ErrorBodySchema } from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { buildOpenApi } from '../docs/openapi.js';
import { llmsText } from '../docs/llms.js';
import { repoRoot, swaggerUiDir } from '../docs/files.js';
import { compileTrust, type ClientIpRule } from '../http/clientIp.js';
import { HttpError, sendText } from '../http/respond.js';
import { route, type RouteDef, type Router } from '../http/router.js';

const DOCS_CACHE = 'public, max-age=60';
const ASSET_CACHE = 'public, max-age=3600';

/**
 * The Python files agents download. The Codex bootstrap is the universal launcher under another
 * name: run as codex_bot2bot.py it defaults to --host codex.
 */
const SDK_FILES: Record<string, { source: string; summary: string }> = {
  'bot2bot.py': { source: 'bot2bot.py', summary: 'The single-file Python SDK and CLI' },
  'agent_bot2bot.py': {
    source: 'agent_bot2bot.py',
    summary: 'The universal listener launcher for turn-based AI hosts',
  },
  'codex_bot2bot.py': {
    source: 'agent_bot2bot.py',
    summary: 'The Codex bootstrap: the listener launcher with --host codex',
  },
  'tmux_notify.py': {
    source: 'tmux_notify.py',
    summary: 'Types room mentions into a tmux pane (opt-in; needs bot2bot.py beside it)',
  },
};

const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bot2Bot relay API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

const SWAGGER_INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });
});
`;

/**
 * The origin clients should use: the configured public URL, else the request's own Host, with
 * the scheme a trusted proxy reports.
 */
export function originOf(deps: RelayDeps, req: IncomingMessage, rule: ClientIpRule): string {
  if (deps.config.publicBaseUrl) return deps.config.publicBaseUrl.replace(/\/+$/, '');
  const peer = req.socket.remoteAddress;
  const proto =
    peer && rule.trust(peer, 0) && req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const host =
    req.headers.host && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host)
      ? req.headers.host
      : `127.0.0.1:${deps.config.port}`;
  return `${proto}://${host}`;
}

/** npm tarballs that `npm run build:sdk` packs into dist/sdk/. */
const TARBALLS: Array<{ file: string; what: string }> = [
  { file: 'bot2bot.tgz', what: "The bot2bot CLI and TypeScript SDK: an npm tarball of this relay's version" },
  { file: 'bot2bot-mcp.tgz', what: "The bot2bot-mcp MCP server: an npm tarball of this relay's version" },
];

function tarballRoute(file: string, what: string): RouteDef {
  return route({
    method: 'GET',
    path: `/sdk/${file}`,
    tag: 'docs',
    summary: what,
    responses: {
      200: { description: 'gzipped npm package', contentType: 'application/gzip' },
      404: { description: 'not built with this relay (npm run build:sdk)', schema: ErrorBodySchema },
    },
    handler: async (ctx) => {
      let body: Buffer;
      try {
        body = await readFile(join(repoRoot(), 'dist', 'sdk', file));
      } catch {
        throw new HttpError(404, ERR.notFound);
      }
      sendText(ctx.res, 200, 'application/gzip', body, DOCS_CACHE, {
        'Content-Disposition': `attachment; filename="${file}"`,
      });
    },
  });
}

export function docsRoutes(deps: RelayDeps, router: Router): RouteDef[] {
  const trustRule = compileTrust(deps.config.trustProxy);
  let openApiText: string | null = null;
  const assets = new Map<string, Buffer>();
  const version = (() => {
    try {
      return (
        (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: string })
          .version ?? '0.0.0'
      );
    } catch {
      return '0.0.0';
    }
  })();

  return [
    route({
      method: 'GET',
      path: '/api/openapi.json',
      tag: 'docs',
      summary: 'This API as an OpenAPI 3.1 document',
      description: 'Generated from the same route table and schemas the relay validates with.',
      responses: { 200: { description: 'OpenAPI 3.1 document', contentType: 'application/json' } },
      handler: (ctx) => {
        // The route table is fixed once the server starts, so the document is built once.
        openApiText ??= JSON.stringify(
          buildOpenApi(router.list(), {
            title: 'Bot2Bot relay',
            version,
            description:
              'End-to-end encrypted rooms for humans and AI agents, wire-compatible with Bot2Bot.chat. The relay only sees ciphertext. Times are Unix epoch milliseconds; errors are {"error": "…"}.',
            serverUrl: deps.config.publicBaseUrl ?? '/',
          }),
        );
        sendText(ctx.res, 200, 'application/json; charset=utf-8', openApiText, DOCS_CACHE);
      },
    }),
    route({
      method: 'GET',
      path: '/api/docs',
      tag: 'docs',
      summary: 'Swagger UI for this API',
      responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
      handler: (ctx) => sendText(ctx.res, 200, 'text/html; charset=utf-8', SWAGGER_PAGE, DOCS_CACHE),
    }),
    route({
      method: 'GET',
      path: '/api/docs/init.js',
      tag: 'docs',
      summary: 'Swagger UI start-up script',
      hidden: true,
      responses: { 200: { description: 'script', contentType: 'text/javascript' } },
      handler: (ctx) => sendText(ctx.res, 200, 'text/javascript; charset=utf-8', SWAGGER_INIT, DOCS_CACHE),
    }),
    route({
      method: 'GET',
      path: '/api/docs/:asset',
      tag: 'docs',
      summary: 'Swagger UI assets (from swagger-ui-dist)',
      hidden: true,
      responses: {
        200: { description: 'asset' },
        404: { description: 'unknown asset', schema: ErrorBodySchema },
      },
      handler: async (ctx) => {
        const name = ctx.params.asset ?? '';
        const type = SWAGGER_ASSETS[name];
        if (!type) throw new HttpError(404, ERR.notFound);
        let body = assets.get(name);
        if (!body) {
          body = await readFile(join(swaggerUiDir(), name));
          assets.set(name, body);
        }
        sendText(ctx.res, 200, type, body, ASSET_CACHE);
      },
    }),
    route({
      method: 'GET',
      path: '/llms.txt',
      tag: 'docs',
      summary: 'An agent-facing description of this relay',
      responses: { 200: { description: 'plain text', contentType: 'text/plain' } },
      // Without PUBLIC_BASE_URL the commands name the request's Host: a shared cache must not
      // hand one Host's answer (which says where to install code from) to another.
      handler: (ctx) =>
        sendText(
          ctx.res,
          200,
          'text/plain; charset=utf-8',
          llmsText(router.list(), originOf(deps, ctx.req, trustRule)),
          'public, max-age=300',
          deps.config.publicBaseUrl ? undefined : { Vary: 'Host, X-Forwarded-Proto' },
        ),
    }),
    ...Object.entries(SDK_FILES).map(([name, file]) =>
      route({
        method: 'GET',
        path: `/sdk/${name}`,
        tag: 'docs',
        summary: file.summary,
        responses: {
          200: { description: 'Python source', contentType: 'text/x-python' },
          404: { description: 'not bundled with this relay', schema: ErrorBodySchema },
        },
        handler: async (ctx) => {
          let text: Buffer;
          try {
            text = await readFile(join(repoRoot(), 'agent', 'python', file.source));
          } catch {
            throw new HttpError(404, ERR.notFound);
          }
          sendText(ctx.res, 200, 'text/x-python; charset=utf-8', text, DOCS_CACHE, {
            'Content-Disposition': `inline; filename="${name}"`,
          });
        },
      }),
    ),
    ...TARBALLS.map((t) => tarballRoute(t.file, t.what)),
  ];
}
