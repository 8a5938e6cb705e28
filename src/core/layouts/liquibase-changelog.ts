import { createRequire } from 'node:module';
import type * as Saxes from 'saxes';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Node, type Pair } from 'yaml';

/**
 * Liquibase XML, YAML and JSON changelogs (liquibase-standard XMLChangeLogSAXParser and
 * YamlChangeLogParser, which JSON shares) read into what the layout needs: the `include`,
 * `includeAll` and `changeSet` entries of `databaseChangeLog`, in order, with their lines.
 * A change is `sql` (its text), `sqlFile` (a file to run) or a native change type such as
 * `createTable`, which Liquibase turns into SQL itself and Drillbot cannot run.
 */
export type ChangeLogChange =
  | { readonly kind: 'sql'; readonly sql: string; readonly line: number; readonly splitStatements: boolean; readonly dbms?: string }
  | {
      readonly kind: 'sqlFile';
      readonly path: string;
      readonly relative: boolean;
      readonly line: number;
      readonly splitStatements: boolean;
      readonly dbms?: string;
    }
  | { readonly kind: 'native'; readonly type: string; readonly line: number };

export interface ChangeLogChangeSet {
  readonly kind: 'changeSet';
  readonly id: string;
  readonly author: string;
  readonly line: number;
  readonly runInTransaction: boolean;
  readonly runOnChange: boolean;
  readonly dbms?: string;
  readonly changes: readonly ChangeLogChange[];
  /** null: no rollback given; an empty list: `<rollback/>`, nothing to undo. */
  readonly rollback: readonly ChangeLogChange[] | null;
}

/** `<property>`: a name and value, or a properties `file` of them (see liquibase-parameters.ts). */
export interface ChangeLogProperty {
  readonly kind: 'property';
  readonly name?: string;
  readonly value?: string;
  readonly file?: string;
  readonly relative: boolean;
  readonly global: boolean;
  readonly dbms?: string;
  readonly line: number;
}

export type ChangeLogEntry =
  | { readonly kind: 'include'; readonly file: string; readonly relative: boolean; readonly line: number }
  | { readonly kind: 'includeAll'; readonly path: string; readonly relative: boolean; readonly line: number }
  | ChangeLogChangeSet
  | ChangeLogProperty;

export interface ParsedChangeLog {
  readonly entries: readonly ChangeLogEntry[];
  /** Why Liquibase cannot read the file, and where. */
  readonly error?: { readonly line: number; readonly message: string };
}

/** Change types that change no schema (tagging, logging): nothing to drill, nothing missing on the shadow. */
const NO_SCHEMA_CHANGE = new Set(['tagDatabase', 'empty', 'output']);
/** Children of a changeSet that are not changes. */
const NOT_CHANGES = new Set(['comment', 'preConditions', 'validCheckSum', 'rollback', 'modifySql']);

/** Whether the file is a Liquibase XML, YAML or JSON changelog: its top level is `databaseChangeLog`. */
export function isChangeLog(name: string, content: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('.xml')) return /<(\w+:)?databaseChangeLog[\s>/]/.test(content);
  if (/\.(ya?ml)$/.test(lower)) return /^databaseChangeLog\s*:/m.test(content);
  return lower.endsWith('.json') && /^\s*\{\s*"databaseChangeLog"\s*:/.test(content);
}

export function parseChangeLog(name: string, content: string): ParsedChangeLog {
  return name.toLowerCase().endsWith('.xml') ? parseXml(content) : parseYaml(content);
}

/** DatabaseChangeLog.handleProperty: `global` is true unless it says false. */
function property(attributes: Record<string, string | undefined>, relative: boolean, line: number): ChangeLogProperty {
  const { name, value, file, dbms } = attributes;
  return {
    kind: 'property',
    ...(name !== undefined ? { name } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(file !== undefined ? { file } : {}),
    ...(dbms !== undefined ? { dbms } : {}),
    relative,
    global: !isFalse(attributes.global),
    line,
  };
}

const isFalse = (value: unknown): boolean => String(value).trim().toLowerCase() === 'false';
const isTrue = (value: unknown): boolean => String(value).trim().toLowerCase() === 'true';

// ---- XML --------------------------------------------------------------------------------------

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  /** Line of `<name`. */
  readonly line: number;
  /** Line of the start tag's `>`, where the element's text begins. */
  textLine: number;
  readonly children: XmlElement[];
  text: string;
}

// Required on first use, synchronously as the layouts read: only XML changelogs need saxes, and
// loading it costs every other review ~30 ms.
const loadSaxes = (): typeof Saxes => createRequire(import.meta.url)('saxes') as typeof Saxes;

/** The document's root element, or where the XML is malformed. */
function xmlTree(content: string): { root: XmlElement | null; error?: { line: number; message: string } } {
  const parser = new (loadSaxes().SaxesParser)({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let error: { line: number; message: string } | undefined;
  let startLine = 1;
  parser.on('opentagstart', () => {
    startLine = parser.line;
  });
  parser.on('opentag', (tag) => {
    const attributes = Object.fromEntries(Object.entries(tag.attributes).map(([k, v]) => [k, typeof v === 'string' ? v : v.value]));
    const element: XmlElement = { name: tag.name.replace(/^[^:]*:/, ''), attributes, line: startLine, textLine: parser.line, children: [], text: '' };
    stack.at(-1)?.children.push(element);
    root ??= element;
    if (!tag.isSelfClosing) stack.push(element);
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) stack.pop();
  });
  const addText = (text: string) => {
    const top = stack.at(-1);
    if (top) top.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('error', (e) => {
    error ??= { line: parser.line, message: e.message.replace(/^(?:[^:\n]*:)?\d+:\d+: /, '') };
  });
  parser.write(content).close();
  return error ? { root, error } : { root };
}

function parseXml(content: string): ParsedChangeLog {
  const { root, error } = xmlTree(content);
  if (error) return { entries: [], error };
  if (!root || root.name !== 'databaseChangeLog')
    return { entries: [], error: { line: root?.line ?? 1, message: 'the root element is not databaseChangeLog' } };
  return { entries: root.children.flatMap(xmlEntry) };
}

function xmlEntry(e: XmlElement): ChangeLogEntry[] {
  const relative = isTrue(e.attributes.relativeToChangelogFile);
  if (e.name === 'property') return [property(e.attributes, relative, e.line)];
  if (e.name === 'include') return [{ kind: 'include', file: e.attributes.file ?? '', relative, line: e.line }];
  if (e.name === 'includeAll') return [{ kind: 'includeAll', path: e.attributes.path ?? '', relative, line: e.line }];
  if (e.name !== 'changeSet') return [];
  const rollback = e.children.find((c) => c.name === 'rollback');
  return [
    {
      kind: 'changeSet',
      id: e.attributes.id ?? '',
      author: e.attributes.author ?? '',
      line: e.line,
      runInTransaction: !isFalse(e.attributes.runInTransaction),
      runOnChange: isTrue(e.attributes.runOnChange),
      ...(e.attributes.dbms ? { dbms: e.attributes.dbms } : {}),
      changes: e.children.filter((c) => !NOT_CHANGES.has(c.name)).flatMap(xmlChange),
      rollback: rollback ? xmlRollback(rollback) : null,
    },
  ];
}

function xmlChange(e: XmlElement): ChangeLogChange[] {
  if (NO_SCHEMA_CHANGE.has(e.name)) return [];
  const common = { line: e.line, splitStatements: !isFalse(e.attributes.splitStatements), ...(e.attributes.dbms ? { dbms: e.attributes.dbms } : {}) };
  if (e.name === 'sql') return [{ kind: 'sql', sql: e.text, ...common, line: e.textLine }];
  if (e.name === 'sqlFile') return [{ kind: 'sqlFile', path: e.attributes.path ?? '', relative: isTrue(e.attributes.relativeToChangelogFile), ...common }];
  return [{ kind: 'native', type: e.name, line: e.line }];
}

/** `<rollback>`: SQL as its text, or changes; `changeSetId` refers to another changeset's changes. */
function xmlRollback(e: XmlElement): ChangeLogChange[] {
  if (e.attributes.changeSetId) return [{ kind: 'native', type: `rollback changeSetId="${e.attributes.changeSetId}"`, line: e.line }];
  const changes = e.children.flatMap(xmlChange);
  return e.text.trim() !== '' ? [{ kind: 'sql', sql: e.text, line: e.textLine, splitStatements: true }, ...changes] : changes;
}

// ---- YAML and JSON ----------------------------------------------------------------------------

interface YamlReader {
  readonly lineOf: (node: Node | null | undefined) => number;
}

function parseYaml(content: string): ParsedChangeLog {
  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const [error] = doc.errors;
  if (error) return { entries: [], error: { line: lines.linePos(error.pos[0]).line, message: error.message.split('\n')[0]! } };
  const list = isMap(doc.contents) ? doc.contents.get('databaseChangeLog', true) : null;
  if (!isSeq(list)) return { entries: [], error: { line: lineOf(doc.contents), message: 'databaseChangeLog is not a list' } };
  const reader: YamlReader = { lineOf };
  return { entries: list.items.flatMap((item) => (isMap(item) ? (item.items as Pair<Node, Node>[]).flatMap((pair) => yamlEntry(pair, reader)) : [])) };
}

/** The scalar properties of a mapping, as strings. */
function properties(node: Node | null | undefined): Record<string, string> {
  if (!isMap(node)) return {};
  return Object.fromEntries((node.items as Pair<Node, Node>[]).filter((p) => isScalar(p.value)).map((p) => [keyOf(p), String((p.value as Scalar).value)]));
}

const keyOf = (pair: Pair<Node, Node>): string => (isScalar(pair.key) ? String(pair.key.value) : '');

function yamlEntry(pair: Pair<Node, Node>, r: YamlReader): ChangeLogEntry[] {
  const key = keyOf(pair);
  const props = properties(pair.value);
  const relative = isTrue(props.relativeToChangelogFile);
  const line = r.lineOf(pair.key);
  if (key === 'property') return [property(props, relative, line)];
  if (key === 'include') return [{ kind: 'include', file: props.file ?? '', relative, line }];
  if (key === 'includeAll') return [{ kind: 'includeAll', path: props.path ?? '', relative, line }];
  if (key !== 'changeSet' || !isMap(pair.value)) return [];
  const changes = pair.value.get('changes', true);
  const rollback = pair.value.get('rollback', true);
  return [
    {
      kind: 'changeSet',
      id: props.id ?? '',
      author: props.author ?? '',
      line,
      runInTransaction: !isFalse(props.runInTransaction),
      runOnChange: isTrue(props.runOnChange),
      ...(props.dbms ? { dbms: props.dbms } : {}),
      changes: isSeq(changes) ? changes.items.flatMap((c) => yamlChanges(c as Node, r)) : [],
      rollback: rollback === undefined ? null : yamlRollback(rollback as Node, r),
    },
  ];
}

function yamlChanges(node: Node, r: YamlReader): ChangeLogChange[] {
  if (!isMap(node)) return [];
  return (node.items as Pair<Node, Node>[]).flatMap((pair) => yamlChange(keyOf(pair), pair, r));
}

function yamlChange(type: string, pair: Pair<Node, Node>, r: YamlReader): ChangeLogChange[] {
  if (NO_SCHEMA_CHANGE.has(type)) return [];
  const props = properties(pair.value);
  const common = { line: r.lineOf(pair.key), splitStatements: !isFalse(props.splitStatements), ...(props.dbms ? { dbms: props.dbms } : {}) };
  if (type === 'sqlFile') return [{ kind: 'sqlFile', path: props.path ?? '', relative: isTrue(props.relativeToChangelogFile), ...common }];
  if (type !== 'sql') return [{ kind: 'native', type, line: common.line }];
  const text = isMap(pair.value) ? pair.value.get('sql', true) : pair.value;
  return isScalar(text) ? [{ kind: 'sql', sql: String(text.value), ...common, line: sqlLine(text, r) }] : [];
}

/** A block scalar (`sql: |`) starts on the line after its indicator. */
function sqlLine(node: Scalar, r: YamlReader): number {
  return r.lineOf(node) + (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED ? 1 : 0);
}

/** `rollback:` is SQL text, one change, or a list of changes. */
function yamlRollback(node: Node, r: YamlReader): ChangeLogChange[] {
  if (isScalar(node)) return String(node.value).trim() === '' ? [] : [{ kind: 'sql', sql: String(node.value), line: sqlLine(node, r), splitStatements: true }];
  if (isSeq(node)) return node.items.flatMap((c) => yamlChanges(c as Node, r));
  return yamlChanges(node, r);
}
