import { parseArgs } from 'node:util';
import {
  HISTORY_PRIVILEGES,
  isLayoutId,
  isReportFormat,
  parseDuration,
  REPORT_FORMATS,
  UsageError,
  type HistoryPrivileges,
  type LayoutId,
  type ProviderKind,
  type ReportFormat,
} from '../core/index.js';

export interface CheckArgs {
  readonly command: 'check' | 'demo';
  readonly repo: string;
  readonly base?: string;
  readonly path?: string;
  readonly layout?: LayoutId;
  readonly config?: string;
  /** Each requested format and where it goes (`null`: stdout). */
  readonly outputs: readonly ReportOutput[];
  /** Where the drill's timeline SVG goes. */
  readonly timeline?: string;
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

export interface ReportOutput {
  readonly format: ReportFormat;
  readonly file: string | null;
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
  stats     export production table sizes (catalog statistics only) and the top
              normalised pg_stat_statements queries (never data) for tableSizes:
              drillbot stats --database-url URL [--output FILE]
  help      show this help

Options of check (and demo):
  --repo DIR               git repository (default: the current directory)
  --base REF               branch the change targets (default: $GITHUB_BASE_REF, main or master)
  --path DIR               migrations directory (default: migrations.path, or detected)
  --layout ID              golang-migrate | goose | dbmate | flyway | diesel | plain (default: detected)
  --config FILE            configuration (default: .github/drillbot.yml as it is at the base
                           commit, so a change cannot relax its own review)
  --format F[,F…]          text | json | markdown | sarif | github | gitlab, several
                           separated by commas (default: text)
  --output FILE            where the report goes instead of stdout ("-": stdout). With
                           several formats: one --output per format, in the order of
                           --format, or one pattern with {format}, e.g. drillbot.{format}
  --timeline FILE.svg      also draw the drill's timeline (locks, durations, rewrites, scans)
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
    if ((values.output ?? []).length > 1) throw new UsageError('stats takes one --output FILE');
    return { command, databaseUrl, output: values.output?.[0] };
  }
  if (command !== 'check' && command !== 'demo') throw new UsageError(`unknown command "${command}"`);
  return {
    command,
    repo: values.repo ?? process.cwd(),
    base: values.base,
    path: values.path,
    layout: choice(values.layout, '--layout', isLayoutId),
    config: values.config,
    outputs: reportOutputs(values.format ?? 'text', values.output ?? []),
    timeline: values.timeline,
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
        output: { type: 'string', short: 'o', multiple: true },
        timeline: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Pairs each format with its destination: one --output per format in order, one pattern holding
 * {format} for all, or stdout for a single format without --output. Two formats never share stdout.
 */
export function reportOutputs(formatList: string, outputs: readonly string[]): ReportOutput[] {
  const formats = formatList.split(',').map((f) => f.trim());
  for (const f of formats) {
    if (!isReportFormat(f)) throw new UsageError(`--format: unknown format "${f}" (one of ${REPORT_FORMATS.join(', ')})`);
  }
  const duplicate = formats.find((f, i) => formats.indexOf(f) !== i);
  if (duplicate) throw new UsageError(`--format: "${duplicate}" is given twice`);
  const valid = formats as ReportFormat[];
  const pattern = outputs.length === 1 && outputs[0].includes('{format}') ? outputs[0] : null;
  let files: Array<string | null>;
  if (pattern) files = valid.map((f) => pattern.replaceAll('{format}', f));
  else if (outputs.length === 0 && valid.length === 1) files = [null];
  else if (outputs.length === valid.length) files = outputs.map((o) => (o === '-' ? null : o));
  else
    throw new UsageError(
      `${valid.length} formats need ${valid.length} --output files (in the order of --format) or one --output pattern with {format}; got ${outputs.length}`,
    );
  if (files.filter((f) => f === null).length > 1) throw new UsageError('only one format can go to stdout ("-")');
  const twice = files.find((f, i) => f !== null && files.indexOf(f) !== i);
  if (twice) throw new UsageError(`--output: "${twice}" is given for two formats`);
  return valid.map((format, i) => ({ format, file: files[i] }));
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
