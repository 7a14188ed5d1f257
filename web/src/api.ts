import { createSwitchboardClient } from '@switchboard/client';

/** The console talks to the server that serves it, through the typed client only. */
export const api = createSwitchboardClient({ baseUrl: window.location.origin });
