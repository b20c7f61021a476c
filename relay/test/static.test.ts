/**
 * The web app's files as a browser gets them: precompressed siblings chosen by Accept-Encoding,
 * ETags and 304s, a year of caching for hashed assets, revalidation for the rest, and a file
 * index made at startup (what is on disk later does not matter).
 */
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
let dir: string;
const APP_JS = `export const greeting = ${JSON.stringify('hello '.repeat(2000))};\n`;
const INDEX = `<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body>${'<p>x</p>'.repeat(200)}</body></html>`;
const ICON = '<svg xmlns="http://www.w3.org/2000/svg"/>';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'b2b-static-'));
  mkdirSync(join(dir, 'assets'));
  // What the build writes: each text file with brotli and gzip siblings (none when not smaller).
  for (const [name, text] of [
    ['index.html', INDEX],
    ['assets/app-1a2b3c.js', APP_JS],
  ] as const) {
    writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, `${name}.br`), brotliCompressSync(text));
    writeFileSync(join(dir, `${name}.gz`), gzipSync(text));
  }
  writeFileSync(join(dir, 'favicon.svg'), ICON);
  writeFileSync(join(dir, 'gone.txt'), 'held since startup');
  r = await startRelay({ webDir: dir });
  // The index was made at startup: removing a file now changes nothing, adding one neither.
  rmSync(join(dir, 'gone.txt'));
  writeFileSync(join(dir, 'late.txt'), 'added after startup');
});

afterAll(async () => {
  await r.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request: no client-side decompression or caching gets in the way. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(`${r.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files', () => {
  it('serves brotli, gzip or identity by Accept-Encoding, varying on it', async () => {
    const br = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(APP_JS.length / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(APP_JS);

    const gz = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(APP_JS);
    // q-values decide; q=0 refuses an encoding.
    expect(
      (await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br;q=0, gzip' })).headers['content-encoding'],
    ).toBe('gzip');
    expect(
      (await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br;q=0.4, gzip;q=0.5' })).headers[
        'content-encoding'
      ],
    ).toBe('gzip');
    expect((await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': '*' })).headers['content-encoding']).toBe(
      'br',
    );

    for (const ae of [undefined, 'identity', 'br;q=0, gzip;q=0', 'deflate']) {
      const plain = await get('/assets/app-1a2b3c.js', ae ? { 'Accept-Encoding': ae } : {});
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toBe('Accept-Encoding');
      expect(plain.body.toString()).toBe(APP_JS);
    }
  });

  it('caches hashed assets for a year and revalidates everything else', async () => {
    const asset = await get('/assets/app-1a2b3c.js');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/index.html', '/room/abcdef1234', '/favicon.svg']) {
      const res = await get(path, { 'Accept-Encoding': 'br' });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    // The SPA shell for client routes is index.html itself.
    const shell = await get('/room/abcdef1234');
    expect(shell.body.toString()).toBe(INDEX);
    expect(shell.headers['content-type']).toBe('text/html; charset=utf-8');
    // Files without compressed siblings do not vary.
    const icon = await get('/favicon.svg', { 'Accept-Encoding': 'br' });
    expect(icon.headers.vary).toBeUndefined();
    expect(icon.headers['content-encoding']).toBeUndefined();
    expect(icon.body.toString()).toBe(ICON);
  });

  it('answers 304 to a matching If-None-Match, with one ETag per encoding', async () => {
    const br = await get('/index.html', { 'Accept-Encoding': 'br' });
    const gz = await get('/index.html', { 'Accept-Encoding': 'gzip' });
    const plain = await get('/index.html');
    const tags = [br, gz, plain].map((g) => g.headers.etag as string);
    expect(new Set(tags).size).toBe(3);
    for (const t of tags) expect(t).toMatch(/^"[^"]+"$/);

    const again = await get('/index.html', {
      'Accept-Encoding': 'br',
      'If-None-Match': br.headers.etag as string,
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(br.headers.etag);
    expect(again.headers['cache-control']).toBe('no-cache');
    expect(again.headers.vary).toBe('Accept-Encoding');
    // Weak comparison, lists and `*`.
    expect(
      (await get('/index.html', { 'If-None-Match': `"other", W/${plain.headers.etag as string}` })).status,
    ).toBe(304);
    expect((await get('/index.html', { 'If-None-Match': '*' })).status).toBe(304);
    // The brotli tag does not validate the gzip representation.
    expect(
      (await get('/index.html', { 'Accept-Encoding': 'gzip', 'If-None-Match': br.headers.etag as string }))
        .status,
    ).toBe(200);
    // ETags are content hashes: the same after a restart (or on another node).
    const other = await startRelay({ webDir: dir });
    try {
      const same = await new Promise<Got>((resolve, reject) => {
        const req = request(`${other.url}/assets/app-1a2b3c.js`, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) }),
          );
        });
        req.on('error', reject);
        req.end();
      });
      expect(same.headers.etag).toBe((await get('/assets/app-1a2b3c.js')).headers.etag);
    } finally {
      await other.close();
    }
  });

  it('HEAD sends the headers only', async () => {
    const head = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(Number(head.headers['content-length'])).toBe(gzipSync(APP_JS).length);
  });

  it('serves the files indexed at startup and nothing else', async () => {
    expect((await get('/gone.txt')).body.toString()).toBe('held since startup');
    expect((await get('/late.txt')).status).toBe(404);
    expect((await get('/missing.js')).status).toBe(404);
    // Compressed siblings are representations, not files of their own.
    expect((await get('/assets/app-1a2b3c.js.br')).status).toBe(404);
    for (const path of ['/../package.json', '/assets/..%2f..%2fpackage.json', '/%E0%A4%A'])
      expect((await get(path)).status).toBe(404);
    // Without an extension it gets the app shell, never a file outside WEB_DIR.
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).body.toString()).toBe(INDEX);
  });

  it('answers unknown paths with the app shell and status 404, app routes with 200', async () => {
    for (const path of ['/nope', '/rooms/abc', '/docs/nothing-here', '/%2e%2e/%2e%2e/etc/passwd']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).toBe(INDEX);
      expect(res.headers.etag).toBeUndefined();
    }
    for (const path of [
      '/',
      '/docs',
      '/docs/agents',
      '/connect',
      '/privacy',
      '/dm',
      '/dm/@bob',
      '/agents',
      '/agents/@bob',
      '/room/ABCDEFGHJK',
      // The manifest's share target: a phone's share sheet opens it.
      '/share?text=hello',
    ]) {
      expect((await get(path)).status, path).toBe(200);
    }
  });
});
