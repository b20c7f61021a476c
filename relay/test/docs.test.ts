import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LIMITS } from '../../protocol/index.js';
import { guideMarkdown } from '../../protocol/agentGuide.js';
import { repoRoot } from '../docs/files.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { call } from './identity-helpers.js';

let r: TestRelay;
beforeAll(async () => {
  r = await startRelay();
});
afterAll(async () => {
  await r.close();
});

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document generated from every visible route, room routes included', async () => {
    const res = await call('GET', `${r.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBeTruthy();
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(10);
    for (const p of [
      '/api/rooms/{roomId}/messages',
      '/api/rooms/{roomId}/wait',
      '/api/identity/register',
      '/api/identity/{handle}',
      '/api/dm/{handle}',
      '/api/dm/{handle}/inbox/wait',
      '/api/agents',
      '/api/agents/{handle}/profile',
      '/api/report',
      '/api/contact',
      '/llms.txt',
    ]) {
      expect(paths).toContain(p);
    }
    // Every visible route of the live router is documented, and nothing hidden leaks in.
    for (const def of r.relay.router.list()) {
      const key = def.path.replace(/:(\w+)/g, '{$1}');
      if (def.hidden) continue;
      expect(doc.paths[key]?.[def.method.toLowerCase()], `${def.method} ${def.path}`).toBeDefined();
    }
    expect(paths).not.toContain('/api/docs/{asset}');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenAPI operations, read loosely
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          expect(
            op.parameters.some(
              (p: { name: string; in: string }) => p.in === 'path' && `{${p.name}}` === name,
            ),
          ).toBe(true);
        }
      }
    }
    // Signed routes name the security scheme; bodies and responses come from the zod schemas.
    const wait = doc.paths['/api/dm/{handle}/inbox/wait'].get;
    expect(wait.security).toEqual([{ Bot2BotSignature: [] }]);
    expect(wait.parameters.map((p: { name: string }) => p.name)).toEqual(['handle', 'after', 'timeout']);
    expect(doc.components.securitySchemes.Bot2BotSignature).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
    });
    expect(doc.components.securitySchemes.Bot2BotSignature.description).toContain('Bot2Bot ts=');
    const reg = doc.paths['/api/identity/register'].post;
    expect(reg.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Register',
    });
    expect(doc.components.schemas.Register.required).toContain('register_sig');
    expect(reg.responses['201'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RegisterResult',
    });
    // All $refs resolve.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });
});

describe('Swagger UI', () => {
  it('serves a page whose scripts are all external, plus its assets from swagger-ui-dist', async () => {
    const page = await call('GET', `${r.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(2);
    for (const [, attrs, inner] of scripts) {
      expect(attrs).toMatch(/src="\/api\/docs\//);
      expect(inner!.trim()).toBe('');
    }
    const bundle = await call('GET', `${r.url}/api/docs/swagger-ui-bundle.js`);
    expect([bundle.status, bundle.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    expect(bundle.text).toContain('SwaggerUIBundle');
    const css = await call('GET', `${r.url}/api/docs/swagger-ui.css`);
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    const init = await call('GET', `${r.url}/api/docs/init.js`);
    expect(init.text).toContain("url: '/api/openapi.json'");
    const nope = await call('GET', `${r.url}/api/docs/package.json`);
    expect([nope.status, nope.json]).toEqual([404, { error: 'not found' }]);
  });
});

describe('GET /llms.txt', () => {
  it('describes endpoints, the crypto recipe, limits from LIMITS and the listener rules', async () => {
    const res = await call('GET', `${r.url}/llms.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    // The commands name the Host the request came to, so a shared cache must key on it.
    expect(res.headers.get('vary')).toBe('Host, X-Forwarded-Proto');
    const t = res.text;
    expect(t).toContain(`Base URL: ${r.url}`);
    expect(t).toContain('| POST | /api/rooms/:roomId/messages |');
    expect(t).toContain('| GET | /api/dm/:handle/inbox/wait | Long-poll the owner’s inbox (owner-signed) |');
    expect(t).toContain('nacl.secretbox');
    expect(t).toContain('register <handle> <register_ts> <box_pub> <sign_pub>');
    expect(t).toContain(`: ${LIMITS.ciphertextChars}`);
    expect(t).toContain(`: ${LIMITS.replayMaxMessages}`);
    expect(t).toMatch(/unique name/);
    expect(t).toMatch(/\?after=<that seq>/);
    // The agent guide, every command named for this relay, exactly as the web app's page shows it.
    expect(t).toContain(guideMarkdown(r.url, 3));
    expect(t).toContain(`npx -y ${r.url}/sdk/bot2bot.tgz listen --name my-agent --out`);
    expect(t).toContain(`BOT2BOT_BASE=${r.url} -- npx -y ${r.url}/sdk/bot2bot-mcp.tgz`);
    // Matches the Node CLI's "is_self":false and the Python SDK's "is_self": false alike.
    expect(t).toContain(`grep --line-buffered -E '"is_self": ?false'`);
  });
});

describe('GET /sdk/bot2bot.py', () => {
  it('serves the Python SDK inline with the reference headers', async () => {
    const res = await call('GET', `${r.url}/sdk/bot2bot.py`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/x-python; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="bot2bot.py"');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.text).toMatch(/^(#!|"""|import|from|#)/);
  });
});

describe('GET /sdk/ launchers', () => {
  it('serves the launcher, the Codex bootstrap (the same file) and the tmux bridge', async () => {
    const launcher = await call('GET', `${r.url}/sdk/agent_bot2bot.py`);
    const codex = await call('GET', `${r.url}/sdk/codex_bot2bot.py`);
    const tmux = await call('GET', `${r.url}/sdk/tmux_notify.py`);
    for (const res of [launcher, codex, tmux]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/x-python; charset=utf-8');
    }
    expect(codex.headers.get('content-disposition')).toBe('inline; filename="codex_bot2bot.py"');
    expect(codex.text).toBe(launcher.text);
    expect(launcher.text).toContain('BOT2BOT_RELEASED_BY_ROOM');
    expect(tmux.text).toContain('send-keys');
  });
});

describe('repoRoot', () => {
  it('finds the repository from source and from the compiled dist/node tree', () => {
    const root = process.cwd();
    expect(repoRoot(join(root, 'relay', 'docs', 'files.ts'))).toBe(root);
    expect(repoRoot(join(root, 'dist', 'node', 'relay', 'docs', 'files.js'))).toBe(root);
    expect(() => repoRoot('/nonexistent-b2b/x/y.js')).toThrow(/no package.json/);
  });
});
