import { DEFAULT_CONFIG, parseConfig, type DrillbotConfig } from './config.js';
import { ConfigError } from './errors.js';
import type { SourceFile } from './layouts/layout.js';
import type { TableSize } from './rules/define-rule.js';
import { parseTableSizes } from './table-sizes.js';

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

/** The production table sizes named by `tableSizes`. */
export async function loadTableSizes(source: ConfigSource, config: DrillbotConfig): Promise<ReadonlyMap<string, TableSize> | undefined> {
  if (!config.tableSizes) return undefined;
  const text = await source.read(config.tableSizes);
  if (text === null) throw new ConfigError(`tableSizes: ${config.tableSizes} does not exist ${source.where}`);
  return parseTableSizes(text, config.tableSizes);
}

/** The schema file `shadow.baseline` names: what production's schema was. */
export async function loadBaseline(source: ConfigSource, config: DrillbotConfig): Promise<SourceFile | undefined> {
  const path = config.shadow.baseline;
  if (!path) return undefined;
  const content = await source.read(path);
  if (content === null) throw new ConfigError(`shadow.baseline: ${path} does not exist ${source.where}`);
  return { path, content };
}
