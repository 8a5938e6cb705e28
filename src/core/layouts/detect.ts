import { atlas } from './atlas.js';
import { dbmate } from './dbmate.js';
import { diesel } from './diesel.js';
import { drizzle } from './drizzle.js';
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import { liquibase } from './liquibase.js';
import { goose } from './goose.js';
import type { FileTree, Layout } from './layout.js';
import { nodePgMigrate } from './node-pg-migrate.js';
import { plain } from './plain.js';
import { prisma } from './prisma.js';
import { sqitch } from './sqitch.js';
import { supabase } from './supabase.js';

/**
 * All layouts, most specific first: detection takes the first that fits. Diesel, goose and
 * dbmate (and node-pg-migrate's `-- Up Migration`) have unmistakable shapes or annotations; Flyway has its V…__ names; golang-migrate and
 * maragudk-style plain pairs share `.up.sql` names, and golang-migrate only fits when every name
 * has a numeric prefix that no other file repeats (harness repeats `0000_` four times). Prisma
 * (`<dir>/migration.sql`), Drizzle (`meta/_journal.json`), Atlas (`atlas.sum`) and Supabase (the
 * `supabase/migrations` path itself) Liquibase (`--liquibase formatted sql`) and sqitch (`sqitch.plan`) come first: their signs are unmistakable, and goose or dbmate annotations in
 * their files do not make them goose or dbmate files.
 */
export const LAYOUTS: readonly Layout[] = [
  prisma,
  drizzle,
  atlas,
  supabase,
  liquibase,
  sqitch,
  diesel,
  goose,
  dbmate,
  nodePgMigrate,
  flyway,
  golangMigrate,
  plain,
];

/** The first layout whose detect() accepts the tree, or null when none does. */
export function detectLayout(tree: FileTree): Layout | null {
  return LAYOUTS.find((layout) => layout.detect(tree)) ?? null;
}
