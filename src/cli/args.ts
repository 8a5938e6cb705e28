import { parseArgs } from 'node:util';
import { HISTORY_PRIVILEGES, isLayoutId, parseDuration, UsageError, type HistoryPrivileges, type LayoutId, type ProviderKind } from '../core/index.js';

export interface CheckArgs {
  readonly command: 'check' | 'demo';
  readonly repo: string;
  readonly base?: string;
  readonly path?: string;
  readonly layout?: LayoutId;
  readonly config?: string;
  readonly format: 'text' | 'json';
  readonly provider?: ProviderKind;
  readonly databaseUrl?: string;
  readonly pgMajor?: number;
  readonly historyPrivileges?: HistoryPrivileges;
  readonly seedRows?: number;
  readonly statementTimeoutMs?: number;
  readonly timeoutMs?: number;
  readonly cache: boolean;
  readonly quiet: boolean;
}

export interface StatsArgs {
  readonly command: 'stats';
  readonly databaseUrl: string;
  readonly output?: string;
}

export type Command = CheckArgs | StatsArgs | { readonly command: 'help' } | { readonly command: 'version' };

export const USAGE = `Usage: drillbot <command> [options]

Commands:
  check     drill the migrations this branch adds (HEAD against the merge-base of --base)
  demo      drill a bundled example change on the embedded PostgreSQL
  stats     export production table sizes (catalog statistics only) for tableSizes:
              drillbot stats --database-url URL [--output FILE]
  help      show this help

Options of check (and demo):
  --repo DIR               git repository (default: the current directory)
  --base REF               branch the change targets (default: $GITHUB_BASE_REF, main or master)
  --path DIR               migrations directory (default: migrations.path, or detected)
  --layout ID              golang-migrate | goose | dbmate | flyway | diesel | plain (default: detected)
  --config FILE            configuration (default: .github/drillbot.yml as it is at the base
                           commit, so a change cannot relax its own review)
  --format text|json       output format (default: text)
  --provider KIND          embedded (default) | url | testcontainers
  --database-url URL       existing server for throwaway databases (implies --provider url;
                           also $DRILLBOT_DATABASE_URL)
  --pg-major N             production PostgreSQL major version: the rules' target and the
                           major embedded (fetched once) and testcontainers run
  --history-privileges owner|superuser
                           privileges the base history replays with: the database owner's
                           (default) or a superuser's, as production's migrations had; the
                           change always runs as the owner
  --seed-rows N            rows seeded into each existing table (default: 100)
  --statement-timeout DUR  per-statement limit, e.g. 30s (default: 60s)
  --timeout DUR            total limit of the drill, e.g. 15m (default: 15m)
  --no-cache               replay the base history instead of cloning its cached template
  --quiet                  no progress on stderr

Exit status: 0 pass, 1 fail, 2 could not run (bad input, or the review did not complete:
SQL that looks like migrations but is not drilled, a shadow PostgreSQL that did not start,
a time limit).`;

/** Parses argv (without node and script); throws UsageError on mistakes. */
export function parseCommandLine(argv: string[]): Command {
  const { values, positionals } = parseArgsOrUsage(argv);
  if (values.version) return { command: 'version' };
  const command = positionals[0] ?? 'help';
  if (values.help || command === 'help') return { command: 'help' };
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  if (command === 'stats') {
    const databaseUrl = values['database-url'] ?? process.env.DRILLBOT_DATABASE_URL;
    if (!databaseUrl) throw new UsageError('stats needs --database-url URL (a production replica)');
    return { command, databaseUrl, output: values.output };
  }
  if (command !== 'check' && command !== 'demo') throw new UsageError(`unknown command "${command}"`);
  return {
    command,
    repo: values.repo ?? process.cwd(),
    base: values.base,
    path: values.path,
    layout: choice(values.layout, '--layout', isLayoutId),
    config: values.config,
    format: choice(values.format ?? 'text', '--format', (v): v is 'text' | 'json' => v === 'text' || v === 'json')!,
    provider: choice(values.provider, '--provider', (v): v is ProviderKind => ['embedded', 'url', 'testcontainers'].includes(v)),
    databaseUrl: values['database-url'],
    pgMajor: integer(values['pg-major'], '--pg-major'),
    historyPrivileges: choice(values['history-privileges'], '--history-privileges', (v): v is HistoryPrivileges =>
      HISTORY_PRIVILEGES.includes(v as HistoryPrivileges),
    ),
    seedRows: integer(values['seed-rows'], '--seed-rows'),
    statementTimeoutMs: duration(values['statement-timeout'], '--statement-timeout'),
    timeoutMs: duration(values.timeout, '--timeout'),
    cache: !values['no-cache'],
    quiet: values.quiet ?? false,
  };
}

function parseArgsOrUsage(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        base: { type: 'string' },
        path: { type: 'string' },
        layout: { type: 'string' },
        config: { type: 'string' },
        format: { type: 'string' },
        provider: { type: 'string' },
        'database-url': { type: 'string' },
        'pg-major': { type: 'string' },
        'history-privileges': { type: 'string' },
        'seed-rows': { type: 'string' },
        'statement-timeout': { type: 'string' },
        timeout: { type: 'string' },
        'no-cache': { type: 'boolean' },
        quiet: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function choice<T extends string>(value: string | undefined, flag: string, valid: (v: string) => v is T): T | undefined {
  if (value === undefined) return undefined;
  if (!valid(value)) throw new UsageError(`${flag}: unknown value "${value}"`);
  return value;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer; got "${value}"`);
  return n;
}

function duration(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === null) throw new UsageError(`${flag} must be a duration such as 30s or 15m; got "${value}"`);
  return ms;
}
