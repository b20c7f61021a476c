/**
 * Builds web/sw/sw.ts into dist/web/sw.js at the end of `vite build`, with the list of files the
 * worker keeps for offline use (every built asset plus the public files the shell needs) and a
 * version derived from them: a new build changes sw.js, which is how browsers notice an update.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { transformWithOxc, type Plugin } from 'vite';

/** Public files the installed app needs offline (the rest of public/ is fetched when used). */
const PUBLIC_SHELL = ['/manifest.webmanifest', '/favicon.svg', '/icons/icon-192.png', '/icons/icon-512.png'];

export function serviceWorker(source = 'web/sw/sw.ts'): Plugin {
  return {
    name: 'bot2bot-service-worker',
    apply: 'build',
    async generateBundle(_options, bundle) {
      const built = Object.keys(bundle)
        .filter((f) => f !== 'index.html' && !/\.(br|gz|map)$/.test(f))
        .map((f) => `/${f}`);
      const publicFiles = PUBLIC_SHELL.filter((p) => existsIn('public', p));
      const files = [...built, ...publicFiles].sort();
      const src = readFileSync(source, 'utf8');
      const version = createHash('sha256')
        .update(src)
        .update(JSON.stringify(files))
        .update(readFileSync('index.html'))
        .digest('hex')
        .slice(0, 16);
      const out = await transformWithOxc(src, 'sw.ts', { lang: 'ts' });
      const code = out.code
        .replace(/(['"])__BUILD_VERSION__\1/, JSON.stringify(version))
        .replace(/(['"])__PRECACHE__\1/, JSON.stringify(JSON.stringify(files)));
      if (code.includes('__PRECACHE__') || code.includes('__BUILD_VERSION__'))
        this.error('service worker placeholders were not replaced');
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: code });
    },
  };
}

function existsIn(dir: string, urlPath: string): boolean {
  const parts = urlPath.split('/').filter(Boolean);
  const name = parts.pop()!;
  try {
    return readdirSync([dir, ...parts].join('/')).includes(name);
  } catch {
    return false;
  }
}
