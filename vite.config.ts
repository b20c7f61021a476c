import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The relay serves dist/web at `/` with a strict CSP (script-src 'self', no inline, no eval),
// so nothing here may emit inline scripts or pull from other origins.
export default defineConfig({
  root: '.',
  publicDir: 'public',
  plugins: [react()],
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
