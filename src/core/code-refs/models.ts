/**
 * ORM model and schema declarations, read precisely enough to know which table and columns they
 * map: a model names a table only through its ORM's own syntax (a Prisma `@@map`, Drizzle's
 * `pgTable('t', …)`, TypeORM's `@Entity('t')`, SQLAlchemy's `__tablename__`, Django's `db_table`,
 * Rails' `create_table "t"`), never through a bare word that happens to match.
 */

/** A column the model maps, at its 0-based offset in the file. */
export interface ModelField {
  readonly column: string;
  readonly offset: number;
}

/** A model (or schema block) and the table it maps. */
export interface Model {
  readonly table: string;
  readonly offset: number;
  readonly fields: readonly ModelField[];
}

const STRING = `["'\`]([^"'\`]+)["'\`]`;

/** The models declared in a file, by its extension and content. */
export function modelsOf(path: string, text: string): Model[] {
  if (path.endsWith('.prisma')) return prismaModels(text);
  if (/\.(ts|tsx|js|mjs|cjs)$/.test(path)) return [...drizzleTables(text), ...typeormEntities(text)];
  if (path.endsWith('.py')) return [...sqlalchemyModels(text), ...sqlalchemyTables(text), ...djangoModels(path, text)];
  if (path.endsWith('.rb')) return railsTables(text);
  return [];
}

/** The text between the `{` at or after `from` and its matching `}` (strings are not special: model bodies rarely hold braces in strings). */
function braceBlock(text: string, from: number): { start: number; body: string } {
  const open = text.indexOf('{', from);
  if (open < 0) return { start: from, body: '' };
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return { start: open + 1, body: text.slice(open + 1, i) };
  }
  return { start: open + 1, body: text.slice(open + 1) };
}

/** Lines indented deeper than the line at `from` (a Python class body), up to the first that is not. */
function indentedBlock(text: string, from: number): { start: number; body: string } {
  const lineStart = text.lastIndexOf('\n', from) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0].length;
  const start = text.indexOf('\n', from) + 1;
  if (start === 0) return { start: text.length, body: '' };
  const rest = text.slice(start);
  const end = rest.search(new RegExp(`\\n(?![ \\t]{${indent + 1}}|[ \\t]*\\n|[ \\t]*$)`));
  return { start, body: end < 0 ? rest : rest.slice(0, end) };
}

const matches = (re: RegExp, text: string) => [...text.matchAll(re)];

function prismaModels(text: string): Model[] {
  return matches(/^model\s+(\w+)\s*\{/gm, text).map((m) => {
    const { start, body } = braceBlock(text, m.index);
    const table = /@@map\(\s*"([^"]+)"\s*\)/.exec(body)?.[1] ?? m[1]!;
    const fields = matches(/^[ \t]*(\w+)[ \t]+\w+(\[\])?\??(.*)$/gm, body)
      .filter((f) => !f[1]!.startsWith('@'))
      .map((f) => ({ column: /@map\(\s*"([^"]+)"\s*\)/.exec(f[3]!)?.[1] ?? f[1]!, offset: start + f.index + f[0].indexOf(f[1]!) }));
    return { table, offset: m.index, fields };
  });
}

function drizzleTables(text: string): Model[] {
  return matches(new RegExp(`\\b(?:pg|mysql|sqlite)Table\\(\\s*${STRING}\\s*,`, 'g'), text).map((m) => {
    const { start, body } = braceBlock(text, m.index + m[0].length);
    const fields = matches(new RegExp(`(\\w+)\\s*:\\s*\\w+\\(\\s*(?:${STRING})?`, 'g'), body).map((f) => ({
      column: f[2] ?? f[1]!,
      offset: start + f.index,
    }));
    return { table: m[1]!, offset: m.index, fields };
  });
}

function typeormEntities(text: string): Model[] {
  return matches(new RegExp(`@Entity\\(\\s*(?:${STRING}|\\{[^}]*\\bname\\s*:\\s*${STRING}[^}]*\\})\\s*\\)`, 'g'), text).map((m) => {
    const { start, body } = braceBlock(text, m.index + m[0].length);
    const decorator =
      /@(?:Primary(?:Generated)?Column|Column|CreateDateColumn|UpdateDateColumn|DeleteDateColumn|VersionColumn)\(([^)]*)\)\s*(?:\w+\s+)*?(\w+)[!?]?\s*:/g;
    const fields = matches(decorator, body).map((f) => ({
      column: new RegExp(`\\bname\\s*:\\s*${STRING}`).exec(f[1]!)?.[1] ?? f[2]!,
      offset: start + f.index,
    }));
    return { table: (m[1] ?? m[2])!, offset: m.index, fields };
  });
}

/** `name = Column(…)`, `db.Column(…)`, `mapped_column(…)`, with an explicit first-argument name when given. */
const PY_COLUMN = new RegExp(`^[ \\t]*(\\w+)\\s*(?::[^=\\n]*)?=\\s*(?:\\w+\\.)?(?:Column|mapped_column)\\(\\s*(?:${STRING})?`, 'gm');

function sqlalchemyModels(text: string): Model[] {
  return matches(/^[ \t]*class\s+\w+\s*\([^)]*\)\s*:/gm, text).flatMap((m) => {
    const { start, body } = indentedBlock(text, m.index);
    const table = new RegExp(`__tablename__\\s*=\\s*${STRING}`).exec(body)?.[1];
    if (!table) return [];
    const fields = matches(PY_COLUMN, body).map((f) => ({ column: f[2] ?? f[1]!, offset: start + f.index }));
    return [{ table, offset: m.index, fields }];
  });
}

function sqlalchemyTables(text: string): Model[] {
  return matches(new RegExp(`\\bTable\\(\\s*${STRING}`, 'g'), text).map((m) => {
    const close = text.indexOf('\n)', m.index);
    const body = text.slice(m.index, close < 0 ? undefined : close);
    const fields = matches(new RegExp(`\\bColumn\\(\\s*${STRING}`, 'g'), body).map((f) => ({ column: f[1]!, offset: m.index + f.index }));
    return { table: m[1]!, offset: m.index, fields };
  });
}

/** Django: `db_table` or the default `<app label>_<model name>`, the app label taken as the directory holding models.py (or models/). */
function djangoModels(path: string, text: string): Model[] {
  const parts = path.split('/');
  const app = parts[parts.length - 2] === 'models' ? parts[parts.length - 3] : parts[parts.length - 2];
  return matches(/^class\s+(\w+)\s*\([^)]*\bmodels\.Model\b[^)]*\)\s*:/gm, text).map((m) => {
    const { start, body } = indentedBlock(text, m.index);
    const table = new RegExp(`\\bdb_table\\s*=\\s*${STRING}`).exec(body)?.[1] ?? `${app ?? ''}_${m[1]!.toLowerCase()}`;
    const fields = matches(/^[ \t]+(\w+)\s*=\s*models\.(\w+)\(([^\n]*)/gm, body).map((f) => {
      const explicit = new RegExp(`\\bdb_column\\s*=\\s*${STRING}`).exec(f[3]!)?.[1];
      const column = explicit ?? (/^(ForeignKey|OneToOneField)$/.test(f[2]!) ? `${f[1]}_id` : f[1]!);
      return { column, offset: start + f.index };
    });
    return { table, offset: m.index, fields };
  });
}

/** Rails: `create_table "t" do |t| … t.string "c"` (db/schema.rb, t.column :c too) and `self.table_name = "t"` in a model. */
function railsTables(text: string): Model[] {
  const created = matches(/^([ \t]*)create_table\s+[:"']?(\w+)["']?[^\n]*\bdo\s*\|(\w+)\|/gm, text).map((m) => {
    const start = m.index + m[0].length;
    const end = text.slice(start).search(new RegExp(`\\n${m[1]}end\\b`));
    const body = text.slice(start, end < 0 ? undefined : start + end);
    const fields = matches(new RegExp(`\\b${m[3]}\\.(?:column|\\w+)\\s+[:"']?(\\w+)`, 'g'), body)
      .filter((f) => !/^\w+\.(index|timestamps)\b/.test(f[0]))
      .map((f) => ({ column: f[1]!, offset: start + f.index }));
    return { table: m[2]!, offset: m.index, fields };
  });
  const named = matches(new RegExp(`self\\.table_name\\s*=\\s*${STRING}`, 'g'), text).map((m) => ({ table: m[1]!, offset: m.index, fields: [] }));
  return [...created, ...named];
}
