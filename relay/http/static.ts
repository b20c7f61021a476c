/**
 * Serves the built web app from an index made once at startup: no file-system call blocks a
 * request, and only files that were in the directory then can be named by a URL (no path
 * joining, so no traversal). A deploy is a restart, as `npm start` does.
 *
 * The build writes brotli and gzip siblings (`x.js.br`, `x.js.gz`); a request gets the best one
 * its Accept-Encoding allows, with `Vary: Accept-Encoding` and an ETag per encoding. Hashed
 * assets under /assets/ are cached for a year; everything else, and the SPA fallback for client
 * routes like /room/:id, is revalidated (`no-cache`) and answered 304 when unchanged.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applySecurityHeaders } from './respond.js';
import { isAppPath } from '../../protocol/appRoutes.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.py': 'text/x-python; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Files up to this size are held in memory; bigger ones are streamed from disk. */
const MEMORY_FILE_MAX = 1024 * 1024;
/** Past this total, further files are streamed too: a big WEB_DIR cannot fill the heap. */
const MEMORY_TOTAL_MAX = 64 * 1024 * 1024;

type Coding = 'br' | 'gzip';
/** Precompressed siblings by file suffix, best first. */
const SIBLINGS: ReadonlyArray<readonly [Coding, string]> = [
  ['br', '.br'],
  ['gzip', '.gz'],
];

interface Variant {
  file: string;
  size: number;
  etag: string;
  /** The bytes, when small enough to keep. */
  body: Buffer | null;
}

interface Entry {
  type: string;
  cacheControl: string;
  identity: Variant;
  encoded: Partial<Record<Coding, Variant>>;
  /** Whether any encoded variant exists, so responses must say they vary by Accept-Encoding. */
  varies: boolean;
}

export class StaticFiles {
  private readonly files = new Map<string, Entry>();
  private held = 0;
  readonly available: boolean;

  constructor(dir: string) {
    const found = new Set(listFiles(dir));
    for (const rel of found) {
      if (SIBLINGS.some(([, suffix]) => rel.endsWith(suffix) && found.has(rel.slice(0, -suffix.length))))
        continue;
      this.files.set(`/${rel.split(sep).join('/')}`, this.entry(dir, rel, found));
    }
    this.available = this.files.has('/index.html');
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
    const entry = this.files.get(rel);
    if (entry) return send(req, res, entry);
    // Client-side routes get the app shell; any other path without an extension gets it too (it
    // renders "not found") but with status 404.
    if (extname(rel) === '')
      return send(req, res, this.files.get('/index.html')!, isAppPath(rel) ? 200 : 404);
    return false;
  }

  private entry(dir: string, rel: string, found: ReadonlySet<string>): Entry {
    const identity = this.variant(join(dir, rel), null);
    const encoded: Entry['encoded'] = {};
    for (const [coding, suffix] of SIBLINGS) {
      if (found.has(rel + suffix))
        encoded[coding] = this.variant(join(dir, rel + suffix), `${identity.etag.slice(0, -1)}-${coding}"`);
    }
    const urlPath = `/${rel.split(sep).join('/')}`;
    return {
      type: TYPES[extname(rel)] ?? 'application/octet-stream',
      cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
      identity,
      encoded,
      varies: Object.keys(encoded).length > 0,
    };
  }

  /** Read once at startup: for the ETag (a content hash, the same on every node) and the cache. */
  private variant(file: string, etag: string | null): Variant {
    const bytes = readFileSync(file);
    const keep = bytes.length <= MEMORY_FILE_MAX && this.held + bytes.length <= MEMORY_TOTAL_MAX;
    if (keep) this.held += bytes.length;
    return {
      file,
      size: bytes.length,
      etag: etag ?? `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`,
      body: keep ? bytes : null,
    };
  }
}

function send(req: IncomingMessage, res: ServerResponse, entry: Entry, status = 200): boolean {
  const coding = entry.varies ? negotiate(req.headers['accept-encoding'], entry.encoded) : null;
  const v = coding ? entry.encoded[coding]! : entry.identity;
  applySecurityHeaders(res);
  res.setHeader('Content-Type', entry.type);
  res.setHeader('Cache-Control', entry.cacheControl);
  // A 404 is never revalidated into a 304: its status would be lost.
  if (status === 200) res.setHeader('ETag', v.etag);
  if (entry.varies) res.setHeader('Vary', 'Accept-Encoding');
  if (coding) res.setHeader('Content-Encoding', coding);
  if (status === 200 && matches(req.headers['if-none-match'], v.etag)) {
    res.statusCode = 304;
    res.end();
    return true;
  }
  res.statusCode = status;
  res.setHeader('Content-Length', v.size);
  if (req.method === 'HEAD') res.end();
  else if (v.body) res.end(v.body);
  // A file replaced or removed since startup: the response is cut rather than left hanging.
  else
    createReadStream(v.file)
      .on('error', () => res.destroy())
      .pipe(res);
  return true;
}

/** The best encoding the client accepts (by its q-values, brotli on a tie) that we have. */
function negotiate(header: string | undefined, have: Entry['encoded']): Coding | null {
  if (!header) return null;
  const q: Partial<Record<Coding | '*', number>> = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'br' && name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q[name === 'x-gzip' ? 'gzip' : name] = Number.isFinite(weight) ? weight : 0;
  }
  let best: Coding | null = null;
  let bestQ = 0;
  for (const [coding] of SIBLINGS) {
    const w = q[coding] ?? q['*'] ?? 0;
    if (have[coding] && w > bestQ) {
      best = coding;
      bestQ = w;
    }
  }
  return best;
}

/** If-None-Match: a list of entity tags (weak comparison) or `*`. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  for (const t of header.split(',')) {
    const tag = t.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

/** Every regular file under `dir` (following symlinks), relative to it; none if it is missing. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  // Directories by device and inode: a symlink loop is walked once.
  const seen = new Set<string>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue;
        seen.add(id);
        walk(p);
      } else if (st.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}
