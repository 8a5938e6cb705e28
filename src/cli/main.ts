import { readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import {
  collectTableSizes,
  createProvider,
  isDrillbotError,
  parseConfig,
  loadHelp,
  redact,
  renderReport,
  renderTimelineSvg,
  review,
  UsageError,
  noMigrationsError,
  outcomeOf,
  undrilledReport,
  loadBaseline,
  loadChangeSet,
  loadConfig,
  loadQueries,
  loadTableSizes,
  readChangeSet,
  type ChangeSet,
  type Outcome,
  type ConfigSource,
  type DrillbotConfig,
  type Report,
  readHeadCode,
  listingTreesOnce,
  type RepositoryReader,
  resolveCommand,
  packageVersion,
  startingNow,
  type ClonePool,
  type ShadowProvider,
} from '../core/index.js';
import { checkCode } from './check-code.js';
import { parseCommandLine, USAGE, type CheckArgs, type StatsArgs } from './args.js';
import { changedFiles, gitReader, headOf, mergeBase, readFileAt, refExists } from './change-set-from-git.js';
import { prepareDemoRepository } from './demo.js';
import { GitObjects } from './git-objects.js';
import { primeFromHint } from './template-hint.js';

/** Runs the CLI and returns the exit status: 0 pass, 1 fail, 2 could not run. Any writable streams do for io (the tests capture it). */
export async function main(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  try {
    const command = parseCommandLine(argv);
    if (command.command === 'help') return write(io.stdout, `${USAGE}\n`, 0);
    if (command.command === 'version') return write(io.stdout, `${packageVersion()}\n`, 0);
    if (command.command === 'stats') return await runStats(command, io.stdout);
    const progress = command.quiet ? () => undefined : progressPrinter(io.stderr);
    if (command.command === 'demo') return await runDemo(command, progress, io.stdout);
    const report = await check(command, progress);
    await writeReports(report, command, io.stdout);
    return exitStatus(report);
  } catch (error) {
    const message = isDrillbotError(error) || error instanceof Error ? error.message : String(error);
    io.stderr.write(`drillbot: ${redact(message)}\n`);
    if (error instanceof UsageError) io.stderr.write(`Run "drillbot help" for usage.\n`);
    return 2;
  }
}

/** Reviews HEAD of the repository against the merge-base of the base ref. */
export async function check(args: CheckArgs, progress: (message: string) => void): Promise<Report> {
  const objects = new GitObjects(args.repo);
  try {
    return await checkWith(objects, args, progress);
  } finally {
    objects.close();
  }
}

async function checkWith(objects: GitObjects, args: CheckArgs, progress: (message: string) => void): Promise<Report> {
  const baseRef = args.base ?? (await defaultBaseRef(objects));
  const base = await mergeBase(args.repo, objects, baseRef);
  const source: ConfigSource = { read: (path) => readFileAt(objects, base, path), where: 'at the base commit' };
  const config = withFlags(await configOf(args, source), args);
  progress(`comparing HEAD with ${baseRef} (merge-base ${base.slice(0, 12)})`);
  const command = resolveCommand(config.migrations.preset, config.migrations.command, config.migrations.path);
  const shadow = createProvider({ kind: config.shadow.provider, databaseUrl: args.databaseUrl });
  if (command) return checkCode({ repo: args.repo, objects, base, command, config, provider: shadow, onProgress: progress });
  const provider = startingNow(shadow, { pgMajor: config.shadow.pgMajor, onProgress: progress });
  // --no-cache asks for a replay: no template, so no clone of one.
  const primed = args.cache ? primeFromHint(provider.starting, base, config, packageVersion()) : null;
  try {
    return await reviewChange(objects, args, { base, source, config }, { provider, pool: primed?.pool }, progress);
  } finally {
    await primed?.finish();
    await provider.release();
  }
}

/** Reads the change and reviews it on the provider's shadow (which starts meanwhile). */
async function reviewChange(
  objects: GitObjects,
  args: CheckArgs,
  { base, source, config }: { base: string; source: ConfigSource; config: DrillbotConfig },
  { provider, pool }: { provider: ShadowProvider; pool?: ClonePool },
  progress: (message: string) => void,
): Promise<Report> {
  const reader = listingTreesOnce(gitReader(args.repo, objects));
  const headCommit = await headOf(objects);
  const changeSet = await changeSetOrUndrilled(reader, args.repo, base, headCommit, config);
  if ('undrilled' in changeSet) return undrilledReport(changeSet.undrilled, null);
  const tableSizes = await loadTableSizes(source, config);
  const baseline = await loadBaseline(source, config);
  const queries = await loadQueries(source, config, { reader, commit: base });
  const code = await readHeadCode(reader, headCommit);
  return review({
    changeSet: { ...changeSet, code },
    config,
    provider,
    pool,
    tableSizes,
    baseline,
    queries,
    useTemplateCache: args.cache,
    onProgress: progress,
  });
}

/**
 * The change's migrations, read and reviewed also when nothing under them changed (an unreadable
 * file there still fails the review, SQL elsewhere that looks like a migration is reported); without
 * a migrations directory, the SQL of the change that looks like migrations must not pass undrilled.
 */
async function changeSetOrUndrilled(
  reader: RepositoryReader,
  repo: string,
  base: string,
  headCommit: string,
  config: DrillbotConfig,
): Promise<ChangeSet | { undrilled: string[] }> {
  const request = {
    baseCommit: base,
    headCommit,
    changedPaths: await changedFiles(repo, base, headCommit),
    changedListComplete: true,
    skipUntouched: false,
    migrations: config.migrations,
  };
  const result = await loadChangeSet(reader, request);
  if (result.kind === 'change') return result.changeSet;
  if (result.kind === 'undrilled' && result.root === null) return { undrilled: result.paths };
  // Without skipUntouched, every other result without a root is "no migrations".
  if (result.kind === 'no-migrations' || result.root === null) throw noMigrationsError(config.migrations.layout);
  return readChangeSet(reader, request, result.root);
}

/** Writes production table sizes from catalog statistics and the top normalised queries of pg_stat_statements (no data is read). */
async function runStats(args: StatsArgs, stdout: NodeJS.WritableStream): Promise<number> {
  const client = new pg.Client({ connectionString: args.databaseUrl });
  await client.connect();
  try {
    const sizes = await collectTableSizes(client);
    const json = `${JSON.stringify(sizes, null, 2)}\n`;
    if (args.output) {
      await writeFile(args.output, json);
      const queries = sizes.queries ? `${sizes.queries.length} queries` : `no queries: ${sizes.queriesUnavailable}`;
      stdout.write(
        `wrote ${Object.keys(sizes.tables).length} tables and ${queries} to ${args.output}; set tableSizes: ${args.output} in .github/drillbot.yml\n`,
      );
    } else stdout.write(json);
    return 0;
  } finally {
    await client.end();
  }
}

async function runDemo(args: CheckArgs, progress: (message: string) => void, stdout: NodeJS.WritableStream): Promise<number> {
  const demo = await prepareDemoRepository();
  try {
    progress(`demo repository: ${demo.describe}`);
    const report = await check({ ...args, repo: demo.repo, base: demo.baseRef }, progress);
    await writeReports(report, args, stdout);
    if (args.outputs.some((o) => o.format === 'text' && o.file === null))
      stdout.write(`\nThis demo change is unsafe on purpose: "drillbot check" exits 1 on it. Try it on your repository: npx drillbot check --base main\n`);
    // The demo succeeds when the drill ran; its findings are the point.
    return exitStatus(report) === 2 ? 2 : 0;
  } finally {
    await demo.remove();
  }
}

/** Configuration from --config, else from the base commit: a change cannot relax its own review. */
async function configOf(args: CheckArgs, source: ConfigSource): Promise<DrillbotConfig> {
  return args.config ? parseConfig(await readFile(args.config, 'utf8'), args.config) : loadConfig(source);
}

function withFlags(config: DrillbotConfig, args: CheckArgs): DrillbotConfig {
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return {
    ...config,
    migrations: { ...config.migrations, ...defined({ path: args.path, layout: args.layout }) },
    shadow: {
      ...config.shadow,
      ...defined({
        provider: args.databaseUrl ? 'url' : args.provider,
        pgMajor: args.pgMajor,
        historyPrivileges: args.historyPrivileges,
        seedRows: args.seedRows,
        statementTimeoutMs: args.statementTimeoutMs,
        timeoutMs: args.timeoutMs,
      }),
    },
  };
}

async function defaultBaseRef(objects: GitObjects): Promise<string> {
  const fromCi = process.env.GITHUB_BASE_REF ? [`origin/${process.env.GITHUB_BASE_REF}`, process.env.GITHUB_BASE_REF] : [];
  for (const ref of [...fromCi, 'main', 'master', 'origin/main', 'origin/master']) {
    if (await refExists(objects, ref)) return ref;
  }
  throw new UsageError('no base branch found (tried main, master and their origin/ refs); pass --base REF');
}

/** Writes the report in each requested format to its file or stdout, and the timeline SVG when asked for. */
async function writeReports(report: Report, args: CheckArgs, stdout: NodeJS.WritableStream): Promise<void> {
  const context = { help: await loadHelp(), toolVersion: packageVersion() };
  for (const { format, file } of args.outputs) {
    const text = renderReport(report, format, context);
    if (file === null) stdout.write(text);
    else await writeOutput(file, text, '--output');
  }
  if (args.timeline) await writeOutput(args.timeline, renderTimelineSvg(report.migrations), '--timeline');
}

/** A file the user named; a path that cannot be written is their mistake (exit 2), said plainly. */
async function writeOutput(file: string, text: string, flag: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new UsageError(`${flag}: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The exit status of the engine's outcome: 0 pass, 1 fail, 2 could not run. */
const exitStatus = (report: Report): number => EXIT_STATUS[outcomeOf(report)];
const EXIT_STATUS: Record<Outcome, number> = { pass: 0, fail: 1, incomplete: 2 };

function progressPrinter(stderr: NodeJS.WritableStream): (message: string) => void {
  const started = performance.now();
  return (message) => stderr.write(`drillbot [${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

function write(stream: NodeJS.WritableStream, text: string, status: number): number {
  stream.write(text);
  return status;
}
