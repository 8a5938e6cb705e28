import { DEFAULT_CONFIG, parseConfig, type DrillbotConfig } from './config.js';
import { ConfigError } from './errors.js';
import type { SourceFile } from './layouts/layout.js';
import type { TableSize } from './rules/define-rule.js';
import type { RepositoryReader } from './change-set/load.js';
import { readSourceFile } from './change-set/file-bytes.js';
import { applicationStatements, fromExport, type RepresentativeQuery } from './queries/representative.js';
import { globsMatcher } from './severity.js';

/** Where the configuration lives, relative to the repository root. */
export const CONFIG_PATH = '.github/drillbot.yml';

/**
 * Where the configuration and the files it names are read: a change cannot relax its own review,
 * so the CLI reads them at the base commit and the App on the default branch.
 */
export interface ConfigSource {
  /** A file's text, or null when there is no such file. */
  read(path: string): Promise<string | null>;
  /** Says where, in messages: "at the base commit", "on the default branch". */
  readonly where: string;
}

/** The configuration, or the defaults when the repository has none; parseConfig's errors name the line. */
export async function loadConfig(source: ConfigSource): Promise<DrillbotConfig> {
  const text = await source.read(CONFIG_PATH);
  return text === null ? DEFAULT_CONFIG : parseConfig(text, CONFIG_PATH);
}

/** The reader of `drillbot stats` files, imported only by a review that names one: it loads zod. */
const sizesFile = () => import('./sizes-file.js');

/** The production table sizes named by `tableSizes`. */
export async function loadTableSizes(source: ConfigSource, config: DrillbotConfig): Promise<ReadonlyMap<string, TableSize> | undefined> {
  if (!config.tableSizes) return undefined;
  const text = await source.read(config.tableSizes);
  if (text === null) throw new ConfigError(`tableSizes: ${config.tableSizes} does not exist ${source.where}`);
  return (await sizesFile()).parseTableSizes(text, config.tableSizes);
}

/** The schema file `shadow.baseline` names: what production's schema was. */
export async function loadBaseline(source: ConfigSource, config: DrillbotConfig): Promise<SourceFile | undefined> {
  const path = config.shadow.baseline;
  if (!path) return undefined;
  const content = await source.read(path);
  if (content === null) throw new ConfigError(`shadow.baseline: ${path} does not exist ${source.where}`);
  return { path, content };
}

/**
 * The base's representative queries: those `drillbot stats` exported into the `tableSizes` file,
 * then every explainable statement of the `.sql` files `queries:` names (paths or globs, read from
 * `tree` at the base commit). A pattern that matches no file is a configuration error.
 */
export async function loadQueries(
  source: ConfigSource,
  config: DrillbotConfig,
  tree: { reader: RepositoryReader; commit: string },
): Promise<RepresentativeQuery[]> {
  const sizes = config.tableSizes ? await source.read(config.tableSizes) : null;
  const exported = sizes !== null ? fromExport((await sizesFile()).parseSizesFile(sizes, config.tableSizes!).queries) : [];
  if (config.queries.length === 0) return exported;
  const entries = (await tree.reader.listTree(tree.commit)).filter((e) => e.path.endsWith('.sql'));
  for (const pattern of config.queries) {
    if (!entries.some((e) => globsMatcher([pattern])(e.path))) throw new ConfigError(`queries: ${pattern} matches no .sql file ${source.where}`);
  }
  const chosen = entries.filter((e) => globsMatcher(config.queries)(e.path)).sort((a, b) => a.path.localeCompare(b.path));
  const blobs = await tree.reader.readBlobs(chosen);
  const fromFiles = await Promise.all(
    chosen.map(async (e, i) => {
      const file = readSourceFile(e.path, blobs[i]!);
      return (await applicationStatements(file.content)).map((st) => ({ sql: st.sql, origin: `${e.path}:${st.line}` }));
    }),
  );
  return [...exported, ...fromFiles.flat()];
}
