import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
import { constants } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { serviceWorker } from './deploy/serviceWorkerPlugin.js';

// The relay serves dist/web at `/` with a strict CSP (script-src 'self', no inline, no eval),
// so nothing here may emit inline scripts or pull from other origins.
export default defineConfig({
  root: '.',
  publicDir: 'public',
  // `@protocol/…` in the web app is protocol/ (also in tsconfig.web.json and vitest.config.ts).
  resolve: { alias: { '@protocol': fileURLToPath(new URL('./protocol', import.meta.url)) } },
  plugins: [
    react(),
    serviceWorker(),
    // Brotli and gzip siblings (`app.js.br`, `app.js.gz`) made once here, so the relay serves
    // compressed files without compressing per request. Only text; a sibling that is not smaller
    // is not written.
    compression({
      algorithms: [
        defineAlgorithm('brotliCompress', {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY },
        }),
        defineAlgorithm('gzip', { level: constants.Z_BEST_COMPRESSION }),
      ],
      include: /\.(html|js|mjs|css|json|svg|txt|md|webmanifest|py|ico|xml)$/,
      skipIfLargerOrEqual: true,
      logLevel: 'silent',
    }),
  ],
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } },
  },
});
