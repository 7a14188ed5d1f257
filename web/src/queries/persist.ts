import type { PersistedClient, Persister } from '@tanstack/react-query-persist-client';
import { del, get, set } from 'idb-keyval';

/** How long saved answers stay usable: a day-old page is still worth showing when offline. */
export const PERSIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const KEY = 'switchboard.queries';

/**
 * The console's query cache in IndexedDB (idb-keyval), so a reload without the server shows what was
 * last seen. It holds answers only, never a token; signing out removes it.
 */
export const queryPersister: Persister = {
  persistClient: async (client: PersistedClient) => {
    await set(KEY, client);
  },
  restoreClient: () => get<PersistedClient>(KEY),
  removeClient: async () => {
    await del(KEY);
  },
};
