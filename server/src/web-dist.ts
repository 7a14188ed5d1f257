import { fileURLToPath } from 'node:url';

/** Where the console's build is served from (`npm run build -w web` writes it). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
