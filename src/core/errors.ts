/** Drillbot's own failures (not findings about migrations): each becomes an `infra` finding. */
export abstract class DrillbotError extends Error {
  abstract readonly code: 'shadow-start' | 'drill-timeout' | 'git' | 'config-invalid' | 'usage' | 'llm-unavailable' | 'no-migrations' | 'history-privileges';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The shadow PostgreSQL could not be started or reached. */
export class ShadowStartError extends DrillbotError {
  readonly code = 'shadow-start';
}

/**
 * The base history cannot replay with the privileges shadow.historyPrivileges asks for, or a
 * superuser replay left what would let the change escalate: the template is refused.
 */
export class HistoryPrivilegeError extends DrillbotError {
  readonly code = 'history-privileges';
}

/** The drill ran past its total deadline. */
export class DrillTimeoutError extends DrillbotError {
  readonly code = 'drill-timeout';
}

/** A git command needed to build the ChangeSet failed. */
export class GitError extends DrillbotError {
  readonly code = 'git';
}

/** The configuration file is invalid; the message names the line. */
export class ConfigError extends DrillbotError {
  readonly code = 'config-invalid';
}

/** The command line is wrong. */
export class UsageError extends DrillbotError {
  readonly code = 'usage';
}

/** No directory of the repository holds migrations a layout recognises. */
export class NoMigrationsError extends DrillbotError {
  readonly code = 'no-migrations';
}

export const isDrillbotError = (e: unknown): e is DrillbotError => e instanceof DrillbotError;

/** Removes passwords from connection strings before a message is shown or logged. */
export function redact(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@');
}
