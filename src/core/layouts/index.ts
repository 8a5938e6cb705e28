import { compareAtlasVersions } from './atlas.js';
import { compareDbmateVersions } from './dbmate.js';
import { LAYOUTS, detectLayout } from './detect.js';
import { compareDieselVersions } from './diesel.js';
import { compareDrizzleVersions } from './drizzle.js';
import { compareFlywayVersions } from './flyway.js';
import { compareGolangMigrateVersions } from './golang-migrate.js';
import { compareGooseVersions } from './goose.js';
import { compareLiquibaseVersions } from './liquibase.js';
import type { FileTree, LayoutId, LayoutProblem, Migration, ReadOptions } from './layout.js';
import { compareNodePgMigrateVersions } from './node-pg-migrate.js';
import { comparePlainVersions } from './plain.js';
import { comparePrismaVersions } from './prisma.js';
import { compareSqitchVersions } from './sqitch.js';
import { compareSupabaseVersions } from './supabase.js';

export type {
  FileTree,
  Layout,
  LayoutId,
  LayoutProblem,
  LayoutResult,
  Migration,
  MigrationScript,
  ReadOptions,
  SourceFile,
  TransactionMode,
} from './layout.js';
export { LAYOUTS, detectLayout };

const COMPARATORS: Readonly<Record<LayoutId, (a: string, b: string) => number>> = {
  'golang-migrate': compareGolangMigrateVersions,
  goose: compareGooseVersions,
  dbmate: compareDbmateVersions,
  flyway: compareFlywayVersions,
  diesel: compareDieselVersions,
  plain: comparePlainVersions,
  prisma: comparePrismaVersions,
  supabase: compareSupabaseVersions,
  drizzle: compareDrizzleVersions,
  atlas: compareAtlasVersions,
  liquibase: compareLiquibaseVersions,
  sqitch: compareSqitchVersions,
  'node-pg-migrate': compareNodePgMigrateVersions,
};

/** Whether a string names a layout. */
export const isLayoutId = (value: string): value is LayoutId => Object.hasOwn(COMPARATORS, value);

/** Compares two versions the way the layout's tool orders them (negative, zero or positive). */
export function compareVersions(layout: LayoutId, a: string, b: string): number {
  const compare = COMPARATORS[layout];
  if (!compare) throw new Error(`Unknown migration layout "${String(layout)}"; known: ${Object.keys(COMPARATORS).join(', ')}`);
  return compare(a, b);
}

/**
 * Reads the tree's migrations in the tool's order, with the layout given or else detected.
 * Throws when the layout id is unknown or no layout fits the tree: both are usage mistakes that
 * a review cannot work around.
 */
export function readMigrations(
  tree: FileTree,
  layoutId?: LayoutId,
  options: ReadOptions = {},
): { layout: LayoutId; migrations: Migration[]; problems: LayoutProblem[] } {
  const layout = layoutId === undefined ? detectLayout(tree) : LAYOUTS.find((l) => l.id === layoutId);
  if (!layout) {
    const where = tree.root === '' ? 'the repository root' : `"${tree.root}"`;
    throw new Error(
      layoutId === undefined
        ? `No migration layout fits ${where} (${tree.files.length} files); set the layout explicitly (one of: ${LAYOUTS.map((l) => l.id).join(', ')})`
        : `Unknown migration layout "${String(layoutId)}"; known: ${LAYOUTS.map((l) => l.id).join(', ')}`,
    );
  }
  const { migrations, problems } = layout.read(tree, options);
  return { layout: layout.id, migrations, problems };
}
