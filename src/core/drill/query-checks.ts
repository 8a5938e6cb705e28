import type { ClientBase } from 'pg';
import type { Migration } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { Finding, QueryPlanSummary } from '../report/report.js';
import { GENERIC_PLAN_MAJOR, indexesUsed, planQueries, regression, type PlanResult } from '../queries/plans.js';
import type { RepresentativeQuery } from '../queries/representative.js';
import type { ParsedStatement } from '../sql/parse.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';

/** For each query given, the line of the statement after which it stopped planning (undefined: not found). */
export type BreakingLines = (migrations: readonly ParsedMigration[], queries: readonly RepresentativeQuery[]) => Promise<(number | undefined)[]>;

/** Below this many characters a query is quoted whole in a finding. */
const QUOTE_CHARS = 400;

/**
 * Old code against the new schema: the base's representative queries planned before the change
 * (the baseline), after each forward and after each reverse. A query that planned before and no
 * longer does is a `breaking-change` at the statement that broke it; a much worse plan is a
 * `query-regression`; a new index no query uses is an `unused-index` notice. Costs nothing when
 * there are no queries: the drill never constructs one.
 */
export class QueryWatch {
  /** Plans after each applied forward, in order; index -1 is the baseline. */
  private readonly afterForward: PlanResult[][] = [];
  private readonly reported = new Set<number>();
  private readonly seenIndexes: Set<string>;

  private constructor(
    private readonly client: ClientBase,
    private readonly queries: readonly RepresentativeQuery[],
    private readonly costRatio: number,
    private readonly base: PlanResult[],
    indexes: Set<string>,
  ) {
    this.seenIndexes = indexes;
  }

  /** Plans the baseline; on a server older than PostgreSQL 16 returns the notice that says why nothing is planned. */
  static async start(
    client: ClientBase,
    queries: readonly RepresentativeQuery[],
    costRatio: number,
    server: { major: number; version: string },
    path: string,
  ): Promise<{ watch: QueryWatch } | { notice: Finding; summary: QueryPlanSummary }> {
    if (server.major < GENERIC_PLAN_MAJOR) {
      const unsupported = `EXPLAIN (GENERIC_PLAN) needs PostgreSQL ≥ ${GENERIC_PLAN_MAJOR}; the shadow runs ${server.version}`;
      const notice = finding({
        hazard: 'query-regression',
        severity: 'notice',
        source: 'drill',
        path,
        line: 1,
        message: `The ${queries.length} representative queries were not planned against the new schema: ${unsupported}.`,
        fix: 'Drill on PostgreSQL 16 or later (shadow.provider: embedded with shadow.pgMajor, or a newer --database-url server).',
      });
      return { notice, summary: { queries: queries.length, plannedAtBase: 0, checked: false, unsupported } };
    }
    const base = await planQueries(client, queries);
    return { watch: new QueryWatch(client, queries, costRatio, base, await indexNames(client)) };
  }

  /** After a forward applied: queries it broke, plans it made much worse, indexes it added that no query uses. */
  async forwardApplied(applied: readonly ParsedMigration[], breakingLines: BreakingLines): Promise<Finding[]> {
    const p = applied[applied.length - 1];
    const plans = await planQueries(this.client, this.queries);
    this.afterForward.push(plans);
    const broken = this.newlyFailing(this.base, plans);
    const lines =
      broken.length > 0
        ? await breakingLines(
            applied,
            broken.map((b) => b.query),
          )
        : [];
    const located = broken.map((b, k) => ({ ...b, line: lines[k] ?? firstLine(p.forward) }));
    return [
      ...byLine(located).map((group) => breakingFinding(group, p.migration.forward.path, 'forward')),
      ...this.regressions(p, plans),
      ...(await this.unusedIndexes(p, plans)),
    ];
  }

  /** After the reverse of the `index`-th applied migration: queries that planned before its forward and no longer do. */
  async reverseApplied(index: number, migration: Migration, statements: readonly ParsedStatement[]): Promise<Finding[]> {
    const before = index === 0 ? this.base : this.afterForward[index - 1];
    const broken = this.newlyFailing(before, await planQueries(this.client, this.queries));
    return broken.length > 0
      ? [
          breakingFinding(
            broken.map((b) => ({ ...b, line: firstLine(statements) })),
            migration.reverse!.path,
            'reverse',
          ),
        ]
      : [];
  }

  summary(): QueryPlanSummary {
    return { queries: this.queries.length, plannedAtBase: this.base.filter((r) => r.ok).length, checked: this.afterForward.length > 0 };
  }

  /** Queries that planned in `before` and fail in `after`, not yet reported (each query is reported once). */
  private newlyFailing(before: readonly PlanResult[], after: readonly PlanResult[]): Broken[] {
    return this.queries.flatMap((query, i) => {
      const result = after[i];
      if (!before[i]?.ok || result.ok || this.reported.has(i)) return [];
      this.reported.add(i);
      return [{ query, error: result.error }];
    });
  }

  private regressions(p: ParsedMigration, plans: PlanResult[]): Finding[] {
    const regressed = this.queries.flatMap((query, i) => {
      const [before, after] = [this.base[i], plans[i]];
      const why = before.ok && after.ok && !this.reported.has(i) ? regression(before.plan, after.plan, this.costRatio) : null;
      if (!why || !before.ok || !after.ok) return [];
      this.reported.add(i);
      const lost = indexesUsed(before.plan).filter((name) => !indexesUsed(after.plan).includes(name));
      const line = statementNaming(p.forward ?? [], lost) ?? firstLine(p.forward);
      return [
        {
          query,
          line,
          why: `${why}${lost.length > 0 ? ` (it used ${lost.join(', ')})` : ''}`,
          plans: `plan before:\n${before.plan.text}\nplan after:\n${after.plan.text}`,
        },
      ];
    });
    return byLine(regressed).map((group) =>
      finding({
        hazard: 'query-regression',
        source: 'drill',
        path: p.migration.forward.path,
        line: group[0].line,
        message: `After this statement ${group.length > 1 ? `the plans of ${group.length} of the application's queries get` : "the plan of the application's query gets"} much worse: ${group.map((r) => `${describe(r.query)}: ${r.why}`).join('; ')}.`,
        fix: 'Keep an index that serves the query (create the replacement CONCURRENTLY before dropping the old one), or change the query first.',
        evidence: group.map((r) => (group.length > 1 ? `${quote(r.query.sql)}\n${r.plans}` : r.plans)).join('\n\n'),
      }),
    );
  }

  private async unusedIndexes(p: ParsedMigration, plans: PlanResult[]): Promise<Finding[]> {
    const now = await indexNames(this.client);
    const added = [...now].filter((name) => !this.seenIndexes.has(name));
    for (const name of added) this.seenIndexes.add(name);
    const used = new Set(plans.flatMap((r) => (r.ok ? indexesUsed(r.plan) : [])));
    return added
      .filter((name) => !used.has(name))
      .map((name) =>
        finding({
          hazard: 'unused-index',
          source: 'drill',
          path: p.migration.forward.path,
          line: statementNaming(p.forward ?? [], [name]) ?? firstLine(p.forward),
          message: `None of the ${this.queries.length} representative queries uses the new index ${name}: it costs writes and space without serving them.`,
          fix: 'Check which query it is for (add that query to the repository’s queries: files), or leave it out.',
        }),
      );
  }
}

interface Broken {
  readonly query: RepresentativeQuery;
  readonly error: string;
}

/** Findings at the same line merge in the report: one finding per statement names all its queries. */
function byLine<T extends { line: number }>(items: readonly T[]): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) groups.set(item.line, [...(groups.get(item.line) ?? []), item]);
  return [...groups.values()];
}

function breakingFinding(broken: ReadonlyArray<Broken & { line: number }>, path: string, direction: 'forward' | 'reverse'): Finding {
  const what = broken.map((b) => `${describe(b.query)} (${b.error})`).join('; ');
  const subject = broken.length > 1 ? `${broken.length} of the application's queries no longer plan` : "the application's query no longer plans";
  return finding({
    hazard: 'breaking-change',
    source: 'drill',
    path,
    line: broken[0].line,
    message:
      direction === 'forward'
        ? `After this statement ${subject}, so code deployed before the migration fails: ${what}.`
        : `After this reverse (a rollback) ${subject}, so the code running then fails: ${what}.`,
    fix:
      direction === 'forward'
        ? 'Split it (expand/contract): deploy code that no longer runs these queries first; drop or rename in a later migration, once no running code uses the old shape.'
        : 'Make the reverse keep what the code deployed with the forward still queries, or roll back the code first.',
    // Kept when a rule's finding at the same statement leads (the code-reference scan): it names the queries too.
    evidence: broken.map((b) => `EXPLAIN (GENERIC_PLAN) of ${describe(b.query)} planned on the base schema and fails after it: ${b.error}`).join('; '),
  });
}

/** Indexes of the user's schemas, by bare name as EXPLAIN names them. */
async function indexNames(client: ClientBase): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(`
    SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`);
  return new Set(rows.map((r) => r.name));
}

/** The first statement that names one of `names` as a word (a DROP INDEX, CREATE INDEX of it). */
function statementNaming(statements: readonly ParsedStatement[], names: readonly string[]): number | undefined {
  const word = (name: string) => new RegExp(`(^|[^\\w$])"?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?([^\\w$]|$)`, 'i');
  return statements.find((s) => names.some((n) => word(n).test(s.text)))?.line;
}

function firstLine(statements: readonly ParsedStatement[] | null): number {
  return statements?.[0]?.line ?? 1;
}

function describe(q: RepresentativeQuery): string {
  const stats = q.calls !== undefined ? `, ${q.calls} calls${q.meanMs !== undefined ? `, mean ${q.meanMs} ms` : ''}` : '';
  return `${quote(q.sql)} (${q.origin}${stats})`;
}

function quote(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return `\`${flat.length > QUOTE_CHARS ? `${flat.slice(0, QUOTE_CHARS)}…` : flat}\``;
}
