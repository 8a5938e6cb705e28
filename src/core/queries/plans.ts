import type { ClientBase } from 'pg';
import type { RepresentativeQuery } from './representative.js';

/** EXPLAIN (GENERIC_PLAN) plans a query with `$n` parameters without values: PostgreSQL 16 and later. */
export const GENERIC_PLAN_MAJOR = 16;

/** A plan reduced to what the comparison reads, and its compact text for the finding. */
export interface QueryPlan {
  readonly totalCost: number;
  /** Each scanned relation and how: `Seq Scan`, `Index Scan using idx`, … */
  readonly scans: readonly Scan[];
  readonly text: string;
}

export interface Scan {
  readonly relation: string;
  readonly node: string;
  readonly index?: string;
}

export type PlanResult = { readonly ok: true; readonly plan: QueryPlan } | { readonly ok: false; readonly error: string };

/** One node of EXPLAIN's JSON output (the fields read here). */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  'Total Cost': number;
  Plans?: PlanNode[];
}

const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']);

/**
 * Plans each query as PostgreSQL would for any parameter values. Sequential scans are discouraged
 * while planning: the drill's tables hold a few seeded rows, where a sequential scan is cheapest
 * and the planner would not show the index production's table sizes make it use.
 */
export async function planQueries(client: ClientBase, queries: readonly RepresentativeQuery[]): Promise<PlanResult[]> {
  await client.query('SET enable_seqscan = off');
  try {
    const results: PlanResult[] = [];
    for (const q of queries) results.push(await planQuery(client, q.sql));
    return results;
  } finally {
    await client.query('RESET enable_seqscan');
  }
}

async function planQuery(client: ClientBase, sql: string): Promise<PlanResult> {
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${sql}`);
    return { ok: true, plan: summarise(rows[0]['QUERY PLAN'][0].Plan) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function summarise(root: PlanNode): QueryPlan {
  const scans: Scan[] = [];
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    const relation = node['Relation Name'] ? `${node.Schema ? `${node.Schema}.` : ''}${node['Relation Name']}` : undefined;
    const index = node['Index Name'];
    if (relation || index) scans.push({ relation: relation ?? '', node: node['Node Type'], ...(index ? { index } : {}) });
    const target = `${index ? ` using ${index}` : ''}${relation ? ` on ${relation}` : ''}`;
    lines.push(`${'  '.repeat(depth)}${depth > 0 ? '-> ' : ''}${node['Node Type']}${target} (cost=${node['Total Cost'].toFixed(2)})`);
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(root, 0);
  return { totalCost: root['Total Cost'], scans, text: lines.join('\n') };
}

/**
 * Why the plan after the change is much worse than before, or null: a relation read through an
 * index before and only sequentially after, or a total cost above `costRatio` times the old one.
 */
export function regression(before: QueryPlan, after: QueryPlan, costRatio: number): string | null {
  const indexed = (plan: QueryPlan, relation: string) => plan.scans.some((s) => s.relation === relation && INDEX_SCANS.has(s.node));
  const lost = [...new Set(before.scans.filter((s) => INDEX_SCANS.has(s.node) && !indexed(after, s.relation)).map((s) => s.relation))].filter((relation) =>
    after.scans.some((s) => s.relation === relation && s.node === 'Seq Scan'),
  );
  if (lost.length > 0) return `${lost.join(', ')} ${lost.length > 1 ? 'are' : 'is'} now read with a sequential scan where an index was used`;
  const ratio = before.totalCost > 0 ? after.totalCost / before.totalCost : 1;
  return ratio > costRatio ? `its estimated cost grew ${ratio.toFixed(1)}× (above the threshold shadow.queryCostRatio: ${costRatio})` : null;
}

/** The indexes a plan reads (Bitmap Index Scan names the index, not the relation). */
export function indexesUsed(plan: QueryPlan): string[] {
  return plan.scans.flatMap((s) => (s.index ? [s.index] : []));
}
