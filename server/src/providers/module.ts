import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { createModelResolver } from './models/resolver.ts';
import { createProvidersService, type ModelUsers } from './service.ts';

/** Wires model providers: the org's settings (keys encrypted) and the resolver that builds models. */
export function createProvidersModule(deps: { db: Db; bus: Bus; config: Config; modelUsers: ModelUsers }) {
  return {
    service: createProvidersService(deps),
    resolver: createModelResolver(deps.config),
  };
}

export type ProvidersModule = ReturnType<typeof createProvidersModule>;
