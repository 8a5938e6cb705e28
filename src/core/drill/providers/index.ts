import { UsageError } from '../../errors.js';
import { createEmbeddedProvider } from './embedded.js';
import type { ProviderKind, ShadowProvider } from './provider.js';
import { createTestcontainersProvider } from './testcontainers.js';
import { createUrlProvider } from './url.js';

export type { ProviderKind, ShadowProvider, ShadowServer } from './provider.js';
export { createEmbeddedProvider, defaultCacheDir } from './embedded.js';
export type { EmbeddedProvider, EmbeddedProviderOptions, EmbeddedShadowServer } from './embedded.js';
export { createTestcontainersProvider } from './testcontainers.js';
export { createUrlProvider } from './url.js';
export { keepRunning, type KeptProvider } from './kept.js';
export { startingNow, type HeadStartProvider } from './head-start.js';

/** Options of createProvider; `databaseUrl` (or $DRILLBOT_DATABASE_URL) implies `kind: 'url'`. */
export interface CreateProviderOptions {
  kind?: ProviderKind;
  databaseUrl?: string;
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Chooses the shadow PostgreSQL backend: a database URL means `url`, otherwise `embedded`. */
export function createProvider(opts: CreateProviderOptions = {}): ShadowProvider {
  const databaseUrl = opts.databaseUrl ?? (opts.env ?? process.env).DRILLBOT_DATABASE_URL;
  const kind = opts.kind ?? (databaseUrl ? 'url' : 'embedded');
  // An explicit URL with another explicit kind is a contradiction; the env var is only a default.
  if (opts.databaseUrl && kind !== 'url') throw new UsageError(`--database-url cannot be combined with --provider ${kind}`);
  switch (kind) {
    case 'url':
      if (!databaseUrl) throw new UsageError('The url provider needs --database-url postgres://… (or DRILLBOT_DATABASE_URL)');
      return createUrlProvider(databaseUrl);
    case 'embedded':
      return createEmbeddedProvider({ cacheDir: opts.cacheDir });
    case 'testcontainers':
      return createTestcontainersProvider();
  }
}
