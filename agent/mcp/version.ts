/**
 * The server's version is its package's: the nearest package.json above this file, whether it
 * runs from the repository, from dist/, or from an installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const v = (JSON.parse(readFileSync(p, 'utf8')) as { version?: unknown }).version;
        if (typeof v === 'string') return v;
      } catch {
        // An unreadable package.json: keep looking further up.
      }
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}
