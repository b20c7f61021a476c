/**
 * Serves the built web app. Hashed assets are cached for a year; everything else, and the SPA
 * fallback for client routes like /room/:id, is `no-store` so a deploy is picked up at once.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applySecurityHeaders } from './respond.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.py': 'text/x-python; charset=utf-8',
};

export class StaticFiles {
  private readonly root: string;
  readonly available: boolean;

  constructor(dir: string) {
    this.root = normalize(dir);
    this.available = existsSync(join(this.root, 'index.html'));
  }

  /** True when it answered. Only GET/HEAD outside /api reach here. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (!this.available) return false;
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      return false;
    }
    const file = normalize(join(this.root, rel));
    if (file !== this.root && !file.startsWith(this.root + sep)) return false;
    if (rel !== '/' && isFile(file)) return this.send(req, res, file, rel.startsWith('/assets/'));
    // Client-side routes: a path without an extension gets the app shell.
    if (extname(rel) === '') return this.send(req, res, join(this.root, 'index.html'), false);
    return false;
  }

  private send(req: IncomingMessage, res: ServerResponse, file: string, immutable: boolean): boolean {
    const size = statSync(file).size;
    applySecurityHeaders(res);
    res.statusCode = 200;
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', size);
    res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-store, must-revalidate');
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(file).pipe(res);
    return true;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
