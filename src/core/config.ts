import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { ConfigError } from './errors.js';
import { isHazard } from './hazards.js';
import { RULES } from './rules/index.js';
import type { LayoutId } from './layouts/layout.js';
import { PRESET_IDS, type PresetId, type ToolCommand } from './layouts/command-presets.js';
import type { ProviderKind } from './drill/providers/provider.js';

/** `.github/drillbot.yml`, shared by the CLI and the GitHub App. */
export interface DrillbotConfig {
  readonly migrations: {
    readonly layout?: LayoutId;
    readonly path?: string;
    /**
     * Whether the tool is run so that it applies a pending version older than the newest applied
     * one (goose -allow-missing, Flyway outOfOrder=true), or refuses to (dbmate --strict).
     */
    readonly outOfOrder?: boolean;
    /**
     * For forward-only tools (Prisma, Drizzle, Supabase, Atlas): true makes a migration without a
     * reverse an error, as it is for tools that have one; by default it is a notice.
     */
    readonly requireReverse?: boolean;
    /** The Liquibase master changelog (relative to the repository root); by default the changelog no other one includes. */
    readonly changelog?: string;
    /** Liquibase changelog parameters (`${name}`) as the deployment passes them: `-D`, liquibase.properties `parameter.*`. */
    readonly parameters?: Readonly<Record<string, string>>;
    /** Largest migration file Drillbot reads, in bytes; a larger one fails the review (it is never skipped). */
    readonly maxFileSize: number;
    /** Code migrations: the repository's own tool, run by the CLI (see layouts/command-presets.ts). */
    readonly preset?: PresetId;
    readonly command?: Partial<ToolCommand>;
  };
  readonly shadow: {
    readonly provider?: ProviderKind;
    /** Major version of production PostgreSQL: embedded and testcontainers run it; a url server of another major is reported. */
    readonly pgMajor?: number;
    /** SQL run before the base history (e.g. the migration tool's bookkeeping table). */
    readonly setup?: string;
    /** A schema file of the repository (a schema-only dump, the tool's schema file) replayed instead of the base history. */
    readonly baseline?: string;
    /**
     * The privileges the base history (already merged) replays with: those of the database's owner,
     * or a superuser's where production's migrations run as one. The change itself always runs as the owner.
     */
    readonly historyPrivileges: HistoryPrivileges;
    readonly seedRows: number;
    readonly statementTimeoutMs: number;
    readonly timeoutMs: number;
    /** Caps in bytes that a migration cannot lift; passing one ends the drill with an `infra` finding. */
    readonly maxDatabaseSize: number;
    /** Temporary files of the drill's backends together (also each backend's temp_file_limit). */
    readonly maxTempFiles: number;
    /** Private memory of any one backend; measured only where the server runs on this machine (embedded). */
    readonly maxBackendMemory: number;
    /** Schema-per-tenant: the change is also run once per tenant schema (see drill/tenants.ts). */
    readonly tenants?: TenantsConfig;
    /** A representative query whose estimated plan cost grows more than this many times is a query-regression. */
    readonly queryCostRatio: number;
  };
  /** Severity per rule id or hazard ('off' silences it). */
  readonly rules: SeverityMap;
  /** Later entries win: severities for files matching a glob. */
  readonly overrides: ReadonlyArray<{ readonly files: readonly string[]; readonly rules: SeverityMap }>;
  /** JSON written by `drillbot stats`: production row counts and sizes (path relative to the repository). */
  readonly tableSizes?: string;
  /** Files or globs of `.sql` files holding the application's queries, planned before and after the change. */
  readonly queries: readonly string[];
  readonly reviewer: ReviewerConfig;
}

/**
 * The LLM reviewer (`reviewer:`). The API key only ever comes from the environment
 * (OPENAI_API_KEY); model and base URL fall back to OPENAI_MODEL and OPENAI_BASE_URL.
 */
export interface ReviewerConfig {
  /** false turns the model off (deterministic checklist items and reverse drafting still run). */
  readonly enabled: boolean;
  readonly model?: string;
  /** An OpenAI-compatible endpoint: Azure OpenAI's `/openai/v1/`, Ollama, vLLM, … */
  readonly baseUrl?: string;
  readonly timeoutMs: number;
  /** Budget for the migration text in the prompt, in tokens; beyond it statements are summarised. */
  readonly maxTokens: number;
  /** The team's own checklist items, answered by the model (or marked for a human). */
  readonly checklist: readonly TeamChecklistItem[];
}

export interface TeamChecklistItem {
  readonly id: string;
  readonly direction: 'forward' | 'reverse';
  readonly question: string;
}

/**
 * `shadow.tenants`: the tenant schemas (a list, or a query run on the shadow after the base
 * history), the template schema the migrations are written against (placed after the tenant in
 * `search_path`, as schema-per-tenant tools do), and SQL run in a tenant's schema to seed it.
 */
export interface TenantsConfig {
  readonly template: string;
  readonly schemas?: readonly string[];
  readonly query?: string;
  /** Per tenant schema: SQL run with search_path set to it, before the drill's own seeding. */
  readonly seed: Readonly<Record<string, string>>;
}

export type HistoryPrivileges = 'owner' | 'superuser';
export const HISTORY_PRIVILEGES: readonly HistoryPrivileges[] = ['owner', 'superuser'];

export type SeverityOrOff = 'error' | 'warning' | 'notice' | 'off';
export type SeverityMap = Readonly<Record<string, SeverityOrOff>>;

const GIB = 1024 ** 3;

export const DEFAULT_CONFIG: DrillbotConfig = {
  migrations: { maxFileSize: 5 * 1024 * 1024 },
  shadow: {
    historyPrivileges: 'owner',
    seedRows: 100,
    statementTimeoutMs: 60_000,
    timeoutMs: 15 * 60_000,
    maxDatabaseSize: GIB,
    maxTempFiles: GIB,
    maxBackendMemory: GIB,
    queryCostRatio: 10,
  },
  rules: {},
  overrides: [],
  queries: [],
  reviewer: { enabled: true, timeoutMs: 60_000, maxTokens: 12_000, checklist: [] },
};

/** Reads one value; `at` locates nested nodes (list items) for their own error lines. */
type Reader = (node: Node, where: string, at?: (node: Node | null | undefined) => string) => unknown;

const LAYOUT_IDS: readonly LayoutId[] = [
  'golang-migrate',
  'goose',
  'dbmate',
  'flyway',
  'diesel',
  'plain',
  'prisma',
  'supabase',
  'drizzle',
  'atlas',
  'liquibase',
  'sqitch',
  'node-pg-migrate',
];
const PROVIDERS: readonly ProviderKind[] = ['embedded', 'url', 'testcontainers'];

/** Known keys per mapping section, each with its reader; anything else is an error with its line. */
const SECTIONS: Record<string, Record<string, Reader>> = {
  migrations: {
    layout: oneOf(LAYOUT_IDS),
    path: text,
    changelog: text,
    parameters: textMap,
    outOfOrder: boolean,
    requireReverse: boolean,
    maxFileSize: byteSize,
    preset: oneOf(PRESET_IDS),
    command: toolCommand,
  },
  shadow: {
    provider: oneOf(PROVIDERS),
    pgMajor: integer(9, 99),
    setup: text,
    baseline: text,
    historyPrivileges: oneOf(HISTORY_PRIVILEGES),
    seedRows: integer(0, 100_000),
    statementTimeout: duration,
    timeout: duration,
    maxDatabaseSize: size,
    maxTempFiles: size,
    maxBackendMemory: size,
    tenants,
    queryCostRatio: ratio,
  },
  reviewer: {
    enabled: boolean,
    model: text,
    baseUrl: url,
    timeout: duration,
    maxTokens: integer(500, 1_000_000),
    checklist: checklistItems,
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
  const other: { rules?: SeverityMap; overrides?: DrillbotConfig['overrides']; tableSizes?: string; queries?: string[] } = {};
  const sectionReader = (section: string, node: Node, where: string) => readSection(section, node, where, at);
  for (const pair of doc.contents.items as Pair<Node, Node>[]) {
    const section = keyOf(pair);
    const where = `${at(pair.value ?? pair.key)}: ${section}`;
    if (section === 'rules') other.rules = severityMap(pair.value as Node, where, at);
    else if (section === 'overrides') other.overrides = overrides(pair.value as Node, where, at);
    else if (section === 'tableSizes') other.tableSizes = text(pair.value as Node, where);
    else if (section === 'queries') other.queries = textList(pair.value as Node, where, at);
    else if (SECTIONS[section]) values[section] = sectionReader(section, pair.value as Node, where);
    else
      throw new ConfigError(
        `${at(pair.key)}: unknown key "${section}" (known: ${[...Object.keys(SECTIONS), 'rules', 'overrides', 'tableSizes', 'queries'].join(', ')})`,
      );
  }
  // Durations are written without a unit suffix in YAML but carried in milliseconds.
  const { statementTimeout, timeout, ...shadow } = values.shadow ?? {};
  const { timeout: reviewerTimeout, ...reviewer } = values.reviewer ?? {};
  return {
    ...DEFAULT_CONFIG,
    ...other,
    reviewer: {
      ...DEFAULT_CONFIG.reviewer,
      ...reviewer,
      ...(reviewerTimeout !== undefined ? { timeoutMs: reviewerTimeout } : {}),
    } as ReviewerConfig,
    migrations: { ...DEFAULT_CONFIG.migrations, ...(values.migrations as Partial<DrillbotConfig['migrations']>) },
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
    values[key] = read(item.value as Node, `${at(item.value ?? item.key)}: ${section}.${key}`, at);
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
    return { files: textList(files, `${at(files)}: overrides.files`, at), rules: severityMap(rules, `${at(rules)}: overrides.rules`, at) };
  });
}

/** A mapping of names to single values, each read as text (`tenant_id: diku`, `schema: 7`). */
function textMap(node: Node, where: string, locate?: Locate): Record<string, string> {
  const at: Locate = locate ?? (() => where);
  if (!isMap(node)) throw new ConfigError(`${where} must be a mapping of names to values`);
  const field = where.replace(/^.*: /, '');
  return Object.fromEntries(
    (node.items as Pair<Node, Node>[]).map((item) => [keyOf(item), String(scalar(item.value, `${at(item.value ?? item.key)}: ${field}.${keyOf(item)}`))]),
  );
}

/** One string or a list of them (file paths, globs). */
function textList(node: Node, where: string, at: Locate): string[] {
  const field = where.replace(/^.*: /, '');
  return isSeq(node) ? (node.items as Node[]).map((item) => text(item, `${at(item)}: ${field}`)) : [text(node, where)];
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

/** A factor above 1, such as 10. */
function ratio(node: Node, where: string): number {
  const value = scalar(node, where);
  if (typeof value !== 'number' || !(value > 1)) throw new ConfigError(`${where} must be a number above 1, such as 10; got ${String(value)}`);
  return value;
}

function boolean(node: Node, where: string): boolean {
  const value = scalar(node, where);
  if (typeof value !== 'boolean') throw new ConfigError(`${where} must be true or false; got "${String(value)}"`);
  return value;
}

function url(node: Node, where: string): string {
  const value = text(node, where);
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new ConfigError(`${where} must be an http(s) URL; got "${value}"`);
  return value;
}

/** `{ up, down, status }`: shell commands of the repository's migration tool. */
function toolCommand(node: Node, where: string, locate?: Locate): Partial<ToolCommand> {
  const at: Locate = locate ?? (() => where);
  if (!isMap(node)) throw new ConfigError(`${where} must be a mapping with up, down and status commands`);
  const command: Record<string, string> = {};
  for (const item of node.items as Pair<Node, Node>[]) {
    const key = keyOf(item);
    if (!['up', 'down', 'status'].includes(key)) throw new ConfigError(`${at(item.key)}: unknown key "migrations.command.${key}" (known: up, down, status)`);
    command[key] = text(item.value as Node, `${at(item.value ?? item.key)}: migrations.command.${key}`);
  }
  return command;
}

const CHECKLIST_ID = /^[a-z0-9][a-z0-9-]*$/;

/** `- { id, direction, question }`: the team's checklist items; unknown keys are errors with their line. */
function checklistItems(node: Node, where: string, locate?: Locate): TeamChecklistItem[] {
  const at: Locate = locate ?? (() => where);
  if (!isSeq(node)) throw new ConfigError(`${where} must be a list of { id, direction, question }`);
  const seen = new Set<string>();
  return (node.items as Node[]).map((entry) => {
    if (!isMap(entry)) throw new ConfigError(`${at(entry)}: each reviewer.checklist item must be a mapping with id, direction and question`);
    const fields: Record<string, string> = {};
    for (const item of entry.items as Pair<Node, Node>[]) {
      const key = keyOf(item);
      if (!['id', 'direction', 'question'].includes(key))
        throw new ConfigError(`${at(item.key)}: unknown key "reviewer.checklist.${key}" (known: id, direction, question)`);
      fields[key] = text(item.value as Node, `${at(item.value ?? item.key)}: reviewer.checklist.${key}`);
    }
    if (!fields.id || !fields.direction || !fields.question) throw new ConfigError(`${at(entry)}: a reviewer.checklist item needs id, direction and question`);
    if (!CHECKLIST_ID.test(fields.id)) throw new ConfigError(`${at(entry)}: reviewer.checklist id "${fields.id}" must be kebab-case (a-z, 0-9, -)`);
    if (seen.has(fields.id)) throw new ConfigError(`${at(entry)}: reviewer.checklist id "${fields.id}" is used twice`);
    seen.add(fields.id);
    if (fields.direction !== 'forward' && fields.direction !== 'reverse') {
      throw new ConfigError(`${at(entry)}: reviewer.checklist.direction must be one of forward, reverse; got "${fields.direction}"`);
    }
    return { id: fields.id, direction: fields.direction, question: fields.question };
  });
}

/** A schema name as PostgreSQL folds it: the drill quotes it, so a typo cannot reach another schema. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

function schemaName(node: Node, where: string): string {
  const value = text(node, where);
  if (!SCHEMA_NAME.test(value)) throw new ConfigError(`${where} must be a lower-case schema name (a-z, 0-9, _); got "${value}"`);
  return value;
}

/** `tenants: { template, schemas | query, seed: { schema: sql } }`; exactly one of schemas and query. */
function tenants(node: Node, where: string, locate?: Locate): TenantsConfig {
  const at: Locate = locate ?? (() => where);
  if (!isMap(node)) throw new ConfigError(`${where} must be a mapping with template and schemas or query`);
  const readers: Record<string, (value: Node, here: string) => unknown> = {
    template: schemaName,
    schemas: (value, here) => {
      if (!isSeq(value) || value.items.length === 0) throw new ConfigError(`${here} must be a non-empty list of schema names`);
      return (value.items as Node[]).map((item) => schemaName(item, `${at(item)}: shadow.tenants.schemas`));
    },
    query: text,
    seed: (value, here) => {
      if (!isMap(value)) throw new ConfigError(`${here} must be a mapping of tenant schema to SQL`);
      return Object.fromEntries(
        (value.items as Pair<Node, Node>[]).map((item) => {
          schemaName(item.key, `${at(item.key)}: shadow.tenants.seed key`);
          return [keyOf(item), text(item.value as Node, `${at(item.value ?? item.key)}: shadow.tenants.seed.${keyOf(item)}`)];
        }),
      );
    },
  };
  const values: Record<string, unknown> = {};
  for (const item of node.items as Pair<Node, Node>[]) {
    const key = keyOf(item);
    const read = readers[key];
    if (!read) throw new ConfigError(`${at(item.key)}: unknown key "shadow.tenants.${key}" (known: ${Object.keys(readers).join(', ')})`);
    values[key] = read(item.value as Node, `${at(item.value ?? item.key)}: shadow.tenants.${key}`);
  }
  if ((values.schemas === undefined) === (values.query === undefined)) throw new ConfigError(`${where} needs exactly one of schemas and query`);
  return { template: 'public', seed: {}, ...values } as TenantsConfig;
}

/** Durations are numbers of seconds or strings such as `500ms`, `30s`, `15m`, `1h`. */
function duration(node: Node, where: string): number {
  const value = scalar(node, where);
  const ms = parseDuration(value);
  if (ms === null) throw new ConfigError(`${where} must be a duration such as 30s, 15m or 1h; got "${String(value)}"`);
  return ms;
}

/** A size in bytes: a number of bytes, or `512KiB`, `5MiB` (`KB`, `MB`: powers of 1000), from 1 KiB to 100 MiB (GitHub's largest blob). */
function byteSize(node: Node, where: string): number {
  const value = scalar(node, where);
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB)?$/.exec(String(value).trim());
  const unit = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1024 * 1024 }[match?.[2] ?? 'B'] as number;
  const bytes = match ? Math.round(Number(match[1]) * unit) : NaN;
  if (!(bytes >= 1024 && bytes <= 100 * 1024 * 1024))
    throw new ConfigError(`${where} must be a size from 1KiB to 100MiB, such as 5MiB; got "${String(value)}"`);
  return bytes;
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

/** PostgreSQL's memory units (1024-based, like work_mem), and their IEC spellings. */
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  kB: 1024,
  KiB: 1024,
  MB: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1024 ** 3,
  GiB: 1024 ** 3,
  TB: 1024 ** 4,
  TiB: 1024 ** 4,
};
/** Below this, a cap would stop the drill's own seeding and bookkeeping. */
const MIN_SIZE = 1024 ** 2;

/** Sizes are strings such as `512MB`, `1GiB` or `64kB` (units as in postgresql.conf, 1024-based), or a number of bytes. */
function size(node: Node, where: string): number {
  const bytes = parseSize(scalar(node, where));
  if (bytes === null || bytes < MIN_SIZE)
    throw new ConfigError(`${where} must be a size of at least 1MB, such as 512MB or 2GiB; got "${String(scalar(node, where))}"`);
  return bytes;
}

/** Parses `512MB`, `1GiB`, `1.5GB` or a number of bytes into bytes; null when invalid. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  const match = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)?$/.exec(String(value).trim());
  const unit = SIZE_UNITS[match?.[2] ?? 'B'];
  if (!match || unit === undefined) return null;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}
