import type { ClientConfig } from 'pg';

export type ProviderKind = 'embedded' | 'url' | 'testcontainers';

/** A source of shadow PostgreSQL servers. */
export interface ShadowProvider {
  readonly kind: ProviderKind;
  /**
   * Starts (or connects to) a server. Throws ShadowStartError when it cannot.
   * `pgMajor` is honoured where the backend can choose (embedded, testcontainers); a URL server is
   * what it is, so callers compare `server.major` with it.
   */
  start(opts: StartOptions): Promise<ShadowServer>;
}

export interface StartOptions {
  readonly pgMajor?: number;
  readonly signal: AbortSignal;
  /** Slow steps of the start (fetching another major's binaries), in a few words each. */
  readonly onProgress?: (message: string) => void;
}

/**
 * A running server. The provider connects as an administrator (superuser or CREATEDB+CREATEROLE);
 * migrations never run as that role.
 */
export interface ShadowServer {
  /** As reported by server_version, e.g. "18.4". */
  readonly version: string;
  readonly major: number;
  /** Connection settings of the administrator, for the given database. */
  adminConfig(database: string): ClientConfig;
  /**
   * Connection settings of the migrator: a role without superuser that owns the databases the
   * drill creates. Untrusted migration SQL runs only as this role.
   */
  migratorConfig(database: string): ClientConfig;
  /** Name of the migrator role. */
  readonly migratorRole: string;
  /**
   * A database the administrator connects to for CREATE/DROP DATABASE ("postgres" when absent);
   * the URL provider uses the database named in its URL.
   */
  readonly maintenanceDatabase?: string;
  /** Stops the server if this provider started it; closes connections otherwise. */
  close(): Promise<void>;
}
