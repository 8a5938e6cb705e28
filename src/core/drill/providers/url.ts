import pg from 'pg';
import type { ClientConfig } from 'pg';
import { ShadowStartError, redact } from '../../errors.js';
import type { ShadowProvider } from './provider.js';
import { openServer, type ServerEndpoint } from './server.js';

/** Connects to an existing server given by URL. Never touches databases it did not create. */
export function createUrlProvider(url: string): ShadowProvider {
  return {
    kind: 'url',
    async start({ signal }) {
      signal.throwIfAborted();
      return openServer(endpointFromUrl(url), { signal });
    },
  };
}

/** Builds an endpoint from a postgres:// URL, keeping host, port and TLS settings for every login. */
export function endpointFromUrl(url: string): ServerEndpoint {
  const base = parseUrl(url);
  const maintenanceDatabase = base.database ?? 'postgres';
  return {
    admin: (database) => ({ ...base, database }),
    loginAs: (user, password, database) => ({ ...base, user, password, database }),
    maintenanceDatabase,
    label: `PostgreSQL at ${redact(url)}`,
  };
}

function parseUrl(url: string): ClientConfig {
  let parsed: pg.Client;
  try {
    // pg's own parser, so query parameters (host=/socket, sslmode, …) mean what they mean to pg.
    // A Client does not connect until connect() is called.
    parsed = new pg.Client({ connectionString: url });
  } catch (error) {
    throw new ShadowStartError(`The database URL is not valid: ${redact(String(url))}`, { cause: error });
  }
  const { host, port, user, password, database, ssl } = parsed;
  return { host, port, user, password: password ?? undefined, database, ssl, application_name: 'drillbot' };
}
