import type { ChannelRegistry } from '../realtime/channels.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { registerFilesChannel } from './realtime.ts';
import { createFilesService, type FilesDeps } from './service.ts';
import { filesToolSource } from './tools.ts';

/**
 * Wires the files domain: the service behind the HTTP routes, the agent tools (added to the registry,
 * so API servers and worker processes alike can run them) and, where there is a hub, the `files` channel.
 */
export function createFilesModule(deps: FilesDeps & { tools: ToolRegistry }) {
  const service = createFilesService(deps);
  deps.tools.addSource(filesToolSource(service));
  return {
    service,
    registerRealtime: (channels: ChannelRegistry) => registerFilesChannel(channels, service.callers),
    close: () => service.callers.close(),
  };
}

export type FilesModule = ReturnType<typeof createFilesModule>;
