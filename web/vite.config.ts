import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Paths the Switchboard server answers; `npm run dev -w web` forwards them to a local server. */
const SERVER_PATHS = ['/api', '/v1', '/health', '/metrics', '/docs', '/openapi.json', '/.well-known'];
const target = 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: Object.fromEntries(SERVER_PATHS.map((p) => [p, { target, ws: p === '/api' }])),
  },
});
