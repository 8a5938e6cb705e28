/**
 * A layout turns a migration tool's file convention into an ordered list of migrations.
 * Layouts do no I/O and never throw on user mistakes: they return problems instead.
 */

/** A file of the migration tree, path relative to the repository root, with its content. */
export interface SourceFile {
  readonly path: string;
  readonly content: string;
  /**
   * Why `content` is not the file as PostgreSQL would receive it: too large to read (content is
   * empty), or bytes PostgreSQL refuses (content holds replacement characters). Set by
   * readSourceFile / oversizedFile, which both front doors use.
   */
  readonly problem?: FileProblem;
}

export type FileProblem =
  | { readonly kind: 'too-large'; readonly size: number; readonly limit: number }
  | { readonly kind: 'nul-byte'; readonly line: number; readonly binary: boolean }
  /** `bytes`: the invalid sequence as PostgreSQL names it, e.g. "0xe9 0x20 0x63". */
  | { readonly kind: 'invalid-utf8'; readonly line: number; readonly bytes: string };

/** The files under the migrations directory (paths relative to the repository root). */
export interface FileTree {
  /** The migrations directory, relative to the repository root ('' for the root). */
  readonly root: string;
  readonly files: readonly SourceFile[];
}

/**
 * How the migration tool sends a script to PostgreSQL, which the drill reproduces:
 * - `transaction`: the tool wraps the whole script in BEGIN/COMMIT (goose, dbmate, Diesel, Flyway,
 *   plain pairs);
 * - `single-query`: the tool sends the whole script as one query string outside BEGIN/COMMIT
 *   (golang-migrate; dbmate transaction:false and Diesel run_in_transaction = false, whose drivers
 *   send the section/file with one simple-protocol query); PostgreSQL runs a string of several
 *   statements as one implicit transaction, a lone statement on its own;
 * - `none`: the tool sends statement by statement and each commits on its own (goose NO
 *   TRANSACTION, Flyway's non-transactional scripts).
 */
export type TransactionMode = 'transaction' | 'single-query' | 'none';

/** One direction (forward or reverse) of a migration: SQL text at a place in a file. */
export interface MigrationScript {
  /** Path of the file that holds the SQL, relative to the repository root. */
  readonly path: string;
  /** The SQL to execute, exactly as the tool would send it (section markers removed). */
  readonly sql: string;
  /** 1-based line of the file where `sql` begins (goose and dbmate keep both directions in one file). */
  readonly startLine: number;
  readonly transaction: TransactionMode;
  /**
   * Statement boundaries the tool imposes (goose StatementBegin/End blocks), as 1-based file lines:
   * the first and last line of the statement, the annotation lines themselves excluded.
   * Absent when the parser's statement split is what the tool does.
   */
  readonly statementBlocks?: readonly { startLine: number; endLine: number }[];
}

export interface Migration {
  /** The tool's version key: ordering and duplicate checks compare these with compareVersions. */
  readonly version: string;
  /** Human name, e.g. `000012_add_email_index`. */
  readonly name: string;
  readonly forward: MigrationScript;
  /** null when the layout supports a reverse and none exists, or the reverse holds no statement. */
  readonly reverse: MigrationScript | null;
  /** The tool runs it again whenever its text changes (Liquibase `runOnChange`): an edit is a new run, not a history edit. */
  readonly rerunsOnChange?: boolean;
  /** A script the tool runs right after the forward to check it (sqitch verify): its failure fails the deploy. */
  readonly verify?: MigrationScript;
}

export type LayoutProblem =
  /** `emptyReverse`: the reverse file that exists but holds no statement, when it is a file of its own. */
  | { kind: 'missing-reverse'; version: string; path: string; line: number; detail: string; emptyReverse?: string }
  | { kind: 'orphan-reverse'; version: string; path: string }
  | { kind: 'duplicate-version'; version: string; paths: string[] }
  | { kind: 'unparsable'; path: string; line: number; detail: string }
  /** A migration the tool runs that Drillbot cannot (a Liquibase changeset of native change types such as createTable). */
  | { kind: 'not-drilled'; version: string; path: string; line: number; detail: string; fix?: string };

/** What the configuration tells a layout beyond the files (`migrations.changelog`). */
export interface ReadOptions {
  /** The Liquibase master changelog, relative to the repository root. */
  readonly changelog?: string;
  /** Liquibase changelog parameters the deployment passes (`-D`, liquibase.properties `parameter.*`). */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface LayoutResult {
  readonly migrations: Migration[];
  readonly problems: LayoutProblem[];
}

export type LayoutId =
  | 'golang-migrate'
  | 'goose'
  | 'dbmate'
  | 'flyway'
  | 'diesel'
  | 'plain'
  | 'prisma'
  | 'supabase'
  | 'drizzle'
  | 'atlas'
  | 'liquibase'
  | 'sqitch'
  | 'node-pg-migrate';

/**
 * What the tool does with a pending migration whose version sorts before one it already applied:
 * - `skips`: it records only the newest version applied and never runs older ones (no error);
 * - `refuses`: it stops with an error, unless its configuration allows it (`allowedBy`);
 * - `applies`: it runs it after the newer ones, unless a setting makes it refuse (`refusedBy`).
 * `migrations.outOfOrder` in the configuration says how the team runs a tool that has the switch.
 */
export type OutOfOrderBehaviour =
  | { readonly kind: 'skips'; readonly tool: string; /** Why, when not "records only the newest version applied". */ readonly why?: string }
  | { readonly kind: 'refuses'; readonly tool: string; readonly allowedBy: string }
  | { readonly kind: 'applies'; readonly tool: string; readonly refusedBy?: string };

export interface Layout {
  readonly id: LayoutId;
  /**
   * `position`: versions name migrations but do not order them; their place in the files does
   * (Liquibase changesets). A new migration placed above one that already ran is then the
   * out-of-order case. Absent: versions order migrations (compareVersions).
   */
  readonly versionsOrderedBy?: 'position';
  /** How the tool treats an older version that is still pending (from its source or docs). */
  readonly outOfOrder: OutOfOrderBehaviour;
  /** Whether the tree looks like this layout's files (used by auto-detection). */
  detect(tree: FileTree): boolean;
  read(tree: FileTree, options?: ReadOptions): LayoutResult;
  /**
   * Whether this tool can run a reverse; false for forward-only tools (Prisma Migrate, Drizzle
   * Kit, Supabase CLI, Atlas), whose migrations are read with `reverse: null` and no problem: a missing
   * reverse is then a notice (migrations.requireReverse makes it an error) and Drillbot's drafted
   * reverse is offered as a rollback plan.
   */
  readonly supportsReverse: boolean;
}
