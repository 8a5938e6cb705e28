import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { ConfigError } from './errors.js';
import { isHazard } from './hazards.js';
import { RULES } from './rules/index.js';
import type { LayoutId } from './layouts/layout.js';
import type { ProviderKind } from './drill/providers/provider.js';

/** `.github/drillbot.yml`, shared by the CLI and the GitHub App. */
export interface DrillbotConfig {
  readonly migrations: { readonly layout?: LayoutId; readonly path?: string };
  readonly shadow: {
    readonly provider?: ProviderKind;
    /** Major version of production PostgreSQL (testcontainers image; reported otherwise). */
    readonly pgMajor?: number;
    /** SQL run before the base history (e.g. the migration tool's bookkeeping table). */
    readonly setup?: string;
    readonly seedRows: number;
    readonly statementTimeoutMs: number;
    readonly timeoutMs: number;
  };
  /** Severity per rule id or hazard ('off' silences it). */
  readonly rules: SeverityMap;
  /** Later entries win: severities for files matching a glob. */
  readonly overrides: ReadonlyArray<{ readonly files: readonly string[]; readonly rules: SeverityMap }>;
  /** JSON written by `drillbot stats`: production row counts and sizes (path relative to the repository). */
  readonly tableSizes?: string;
}

export type SeverityOrOff = 'error' | 'warning' | 'notice' | 'off';
export type SeverityMap = Readonly<Record<string, SeverityOrOff>>;

export const DEFAULT_CONFIG: DrillbotConfig = {
  migrations: {},
  shadow: { seedRows: 100, statementTimeoutMs: 60_000, timeoutMs: 15 * 60_000 },
  rules: {},
  overrides: [],
};

type Reader = (node: Node, where: string) => unknown;

const LAYOUT_IDS: readonly LayoutId[] = ['golang-migrate', 'goose', 'dbmate', 'flyway', 'diesel', 'plain'];
const PROVIDERS: readonly ProviderKind[] = ['embedded', 'url', 'testcontainers'];

/** Known keys per mapping section, each with its reader; anything else is an error with its line. */
const SECTIONS: Record<string, Record<string, Reader>> = {
  migrations: { layout: oneOf(LAYOUT_IDS), path: text },
  shadow: {
    provider: oneOf(PROVIDERS),
    pgMajor: integer(9, 99),
    setup: text,
    seedRows: integer(0, 100_000),
    statementTimeout: duration,
    timeout: duration,
  },
};

/** Parses and validates the YAML text; `source` names the file in error messages. */
export function parseConfig(yamlText: string, source = '.github/drillbot.yml'): DrillbotConfig {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined) => `${source}:${node?.range ? lines.linePos(node.range[0]).line : 1}`;
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new ConfigError(`${source}:${error.linePos?.[0].line ?? 1}: ${error.message.split('\n')[0]}`);
  }
  if (doc.contents === null) return DEFAULT_CONFIG;
  if (!isMap(doc.contents)) throw new ConfigError(`${at(doc.contents)}: the configuration must be a mapping`);
  const values: Record<string, Record<string, unknown>> = {};
  const other: { rules?: SeverityMap; overrides?: DrillbotConfig['overrides']; tableSizes?: string } = {};
  const sectionReader = (section: string, node: Node, where: string) => readSection(section, node, where, at);
  for (const pair of doc.contents.items as Pair<Node, Node>[]) {
    const section = keyOf(pair);
    const where = `${at(pair.value ?? pair.key)}: ${section}`;
    if (section === 'rules') other.rules = severityMap(pair.value as Node, where, at);
    else if (section === 'overrides') other.overrides = overrides(pair.value as Node, where, at);
    else if (section === 'tableSizes') other.tableSizes = text(pair.value as Node, where);
    else if (SECTIONS[section]) values[section] = sectionReader(section, pair.value as Node, where);
    else throw new ConfigError(`${at(pair.key)}: unknown key "${section}" (known: ${[...Object.keys(SECTIONS), 'rules', 'overrides', 'tableSizes'].join(', ')})`);
  }
  // Durations are written without a unit suffix in YAML but carried in milliseconds.
  const { statementTimeout, timeout, ...shadow } = values.shadow ?? {};
  return {
    ...DEFAULT_CONFIG,
    ...other,
    migrations: { ...(values.migrations as DrillbotConfig['migrations']) },
    shadow: {
      ...DEFAULT_CONFIG.shadow,
      ...shadow,
      ...(statementTimeout !== undefined ? { statementTimeoutMs: statementTimeout } : {}),
      ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
    } as DrillbotConfig['shadow'],
  };
}

type Locate = (node: Node | null | undefined) => string;

function readSection(section: string, node: Node, where: string, at: Locate): Record<string, unknown> {
  if (!isMap(node)) throw new ConfigError(`${where} must be a mapping`);
  const readers = SECTIONS[section];
  const values: Record<string, unknown> = {};
  for (const item of node.items as Pair<Node, Node>[]) {
    const key = keyOf(item);
    const read = readers[key];
    if (!read) throw new ConfigError(`${at(item.key)}: unknown key "${section}.${key}" (known: ${Object.keys(readers).join(', ')})`);
    values[key] = read(item.value as Node, `${at(item.value ?? item.key)}: ${section}.${key}`);
  }
  return values;
}

const SEVERITIES: readonly SeverityOrOff[] = ['error', 'warning', 'notice', 'off'];
const RULE_IDS = new Set(RULES.map((r) => r.id));

/** `rule-or-hazard: severity`; an unknown rule id is an error, so a typo cannot silently disable nothing. */
function severityMap(node: Node, where: string, at: Locate): SeverityMap {
  if (!isMap(node)) throw new ConfigError(`${where} must be a mapping of rule ids or hazards to error, warning, notice or off`);
  const map: Record<string, SeverityOrOff> = {};
  for (const item of node.items as Pair<Node, Node>[]) {
    const key = keyOf(item);
    if (!RULE_IDS.has(key) && !isHazard(key)) throw new ConfigError(`${at(item.key)}: unknown rule or hazard "${key}"`);
    map[key] = oneOf(SEVERITIES)(item.value as Node, `${at(item.value ?? item.key)}: rules.${key}`) as SeverityOrOff;
  }
  return map;
}

function overrides(node: Node, where: string, at: Locate): DrillbotConfig['overrides'] {
  if (!isSeq(node)) throw new ConfigError(`${where} must be a list of { files, rules }`);
  return (node.items as Node[]).map((entry) => {
    if (!isMap(entry)) throw new ConfigError(`${at(entry)}: each override must be a mapping with files and rules`);
    const files = entry.get('files', true) as Node | undefined;
    const rules = entry.get('rules', true) as Node | undefined;
    for (const item of entry.items as Pair<Node, Node>[]) {
      if (!['files', 'rules'].includes(keyOf(item))) throw new ConfigError(`${at(item.key)}: unknown key "overrides.${keyOf(item)}" (known: files, rules)`);
    }
    if (!files || !rules) throw new ConfigError(`${at(entry)}: an override needs files and rules`);
    const globs = isSeq(files) ? (files.items as Node[]).map((f) => text(f, `${at(f)}: overrides.files`)) : [text(files, `${at(files)}: overrides.files`)];
    return { files: globs, rules: severityMap(rules, `${at(rules)}: overrides.rules`, at) };
  });
}

function keyOf(pair: Pair<Node, Node>): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function scalar(node: Node | null, where: string): unknown {
  if (!node || !isScalar(node)) throw new ConfigError(`${where} must be a single value`);
  return node.value;
}

function text(node: Node, where: string): string {
  const value = scalar(node, where);
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where} must be a non-empty string`);
  return value;
}

function oneOf<T extends string>(choices: readonly T[]): Reader {
  return (node, where) => {
    const value = scalar(node, where);
    if (!choices.includes(value as T)) throw new ConfigError(`${where} must be one of ${choices.join(', ')}; got "${String(value)}"`);
    return value;
  };
}

function integer(min: number, max: number): Reader {
  return (node, where) => {
    const value = scalar(node, where);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${where} must be an integer from ${min} to ${max}; got ${String(value)}`);
    }
    return value;
  };
}

/** Durations are numbers of seconds or strings such as `500ms`, `30s`, `15m`, `1h`. */
function duration(node: Node, where: string): number {
  const value = scalar(node, where);
  const ms = parseDuration(value);
  if (ms === null) throw new ConfigError(`${where} must be a duration such as 30s, 15m or 1h; got "${String(value)}"`);
  return ms;
}

/** Parses `500ms`, `30s`, `15m`, `1h` or a number of seconds into milliseconds; null when invalid. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return value > 0 ? value * 1000 : null;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(String(value).trim());
  if (!match) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] as number;
  const ms = Number(match[1]) * unit;
  return ms > 0 ? ms : null;
}
