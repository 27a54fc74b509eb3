import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { kzBoundaries } from './tools/kzBoundaries.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

// The web app: built to apps/web/dist, which the server serves at `/`. `npm run dev:web` serves it with hot
// reload and forwards /api to a server started separately on port 8080.
export default defineConfig({
  root,
  base: '/',
  // kzBoundaries: Kazakhstan's boundaries as one small public asset, for the citizen's place picker.
  plugins: [react(), kzBoundaries()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // MapLibre alone is ~1 MB minified; it is loaded lazily, after login.
    chunkSizeWarningLimit: 1600,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});
