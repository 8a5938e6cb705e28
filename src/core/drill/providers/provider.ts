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
 * migrations never run as that role but as a throwaway role per shadow database (databases.ts).
 */
export interface ShadowServer {
  /** As reported by server_version, e.g. "18.4". */
  readonly version: string;
  readonly major: number;
  /** Connection settings of the administrator, for the given database. */
  adminConfig(database: string): ClientConfig;
  /** Connection settings of another role, logging in with its password over TCP. */
  loginConfig(role: string, password: string, database: string): ClientConfig;
  /** What the administrator may do, read once at start. */
  readonly admin: AdminPowers;
  /** True when the server's processes run on this machine (embedded): the drill reads their memory in /proc. */
  readonly local: boolean;
  /**
   * A database the administrator connects to for CREATE/DROP DATABASE ("postgres" when absent);
   * the URL provider uses the database named in its URL.
   */
  readonly maintenanceDatabase?: string;
  /** Stops the server if this provider started it; closes connections otherwise. */
  close(): Promise<void>;
}

export interface AdminPowers {
  readonly superuser: boolean;
  /** May call pg_ls_tmpdir() (superuser, pg_monitor or an EXECUTE grant): the drill's temp files are watched. */
  readonly listTempFiles: boolean;
}
