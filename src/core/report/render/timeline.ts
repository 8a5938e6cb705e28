import type { LockMode, MigrationResult, StatementResult } from '../report.js';
import { formatDuration } from '../../format.js';

/** One statement on the drill's clock: when it started and ended (ms from the first statement), and what it did. */
export interface TimelineRow {
  readonly path: string;
  readonly direction: MigrationResult['direction'];
  readonly statement: StatementResult;
  readonly startMs: number;
  readonly endMs: number;
  /**
   * Locks the statement took (or strengthened) on existing tables, strongest first; a lock taken
   * earlier in the same transaction is still held but drawn at the statement that took it (locks on
   * the change's own tables hurt nobody).
   */
  readonly locks: ReadonlyArray<{ relation: string; mode: LockMode }>;
}

/** Lock modes from weakest to strongest, as PostgreSQL numbers them. */
const STRENGTH: readonly LockMode[] = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

/** The statements of every script in the order the drill ran them, laid end to end on one clock. */
export function timelineRows(migrations: readonly MigrationResult[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  let clock = 0;
  for (const m of migrations) {
    for (const st of m.statements) {
      const locks = st.locks
        .filter((l) => l.existing)
        .map((l) => ({ relation: l.relation, mode: l.mode }))
        .sort((a, b) => STRENGTH.indexOf(b.mode) - STRENGTH.indexOf(a.mode));
      rows.push({ path: m.path, direction: m.direction, statement: st, startMs: clock, endMs: clock + st.durationMs, locks });
      clock += st.durationMs;
    }
  }
  return rows;
}

const shortMode = (mode: LockMode) => mode.replace(/Lock$/, '');

/** What a statement did, in words: locks taken, how they were seen, rewrites, scans, its error. */
export function rowFacts(row: TimelineRow): string[] {
  const st = row.statement;
  const view = st.lockView === 'not-observed' ? 'locks not observed' : st.lockView === 'sampled' ? 'locks sampled' : '';
  return [
    ...row.locks.map((l) => `took ${shortMode(l.mode)} on ${l.relation}`),
    ...(view ? [view] : []),
    ...st.rewrites.map((r) => `rewrote ${r}`),
    ...Object.entries(st.scannedRows).map(([table, rows]) => `scanned ${table} (${rows} rows)`),
    ...(st.error ? [`error ${st.error.code}`] : []),
  ];
}

const MAX_MARKDOWN_ROWS = 60;
const BAR_CELLS = 16;

/**
 * The timeline as a Markdown table: GitHub strips inline SVG and data: images from comments and
 * job summaries, so the Markdown carries a text bar per statement (its share of the drill's time)
 * and the SVG is a file of its own (`--timeline FILE.svg`).
 */
export function timelineMarkdown(migrations: readonly MigrationResult[]): string[] {
  const rows = timelineRows(migrations);
  const total = Math.max(1, rows.at(-1)?.endMs ?? 0);
  const lines = rows.slice(0, MAX_MARKDOWN_ROWS).map((row) => {
    const from = Math.min(BAR_CELLS - 1, Math.floor((row.startMs / total) * BAR_CELLS));
    const to = Math.max(from + 1, Math.round((row.endMs / total) * BAR_CELLS));
    const bar = `${'·'.repeat(from)}${'█'.repeat(to - from)}${'·'.repeat(BAR_CELLS - to)}`;
    const facts = rowFacts(row).join(', ') || '—';
    return `| ${row.direction} | \`${row.path}:${row.statement.line}\` | \`${bar}\` | ${formatDuration(row.statement.durationMs)} | ${row.statement.status} | ${facts.replace(/\|/g, '\\|')} |`;
  });
  const more = rows.length - lines.length;
  return [
    '### Timeline',
    '',
    '| step | statement | time | duration | status | locks on existing tables, rewrites, scans |',
    '| --- | --- | --- | --- | --- | --- |',
    ...lines,
    ...(more > 0 ? ['', `… ${more} more statement${more > 1 ? 's' : ''}: \`drillbot check --timeline FILE.svg\` draws them all.`] : []),
  ];
}

const LAYOUT = { plot: 480, row: 24, top: 72, bottom: 40, margin: 8 } as const;

/** A generous width of sans-serif text at 12 px, so that labels never run into the bars. */
const textWidth = (text: string) => Math.ceil(text.length * 7.2);

/** Colour of a statement's bar by the strongest lock it took on an existing table. */
function colourOf(row: TimelineRow): string {
  const strongest = row.locks[0]?.mode;
  if (row.statement.status !== 'applied') return '#8b0000';
  if (!strongest) return '#9e9e9e';
  const rank = STRENGTH.indexOf(strongest);
  // ACCESS EXCLUSIVE blocks reads too; SHARE and above block writes; the rest block only DDL.
  return rank >= 7 ? '#d32f2f' : rank >= 4 ? '#f57c00' : '#fbc02d';
}

/**
 * The drill as an SVG picture: one row per statement, a bar from its start to its end on the
 * drill's clock coloured by the strongest lock it took (see LEGEND), and its duration, locks,
 * rewrites and scans as text. Widths follow the longest label, so nothing overlaps or is cut.
 */
export function renderTimelineSvg(migrations: readonly MigrationResult[]): string {
  const rows = timelineRows(migrations);
  const total = Math.max(1, rows.at(-1)?.endMs ?? 0);
  const labels = rows.map((row) => `${row.direction} ${row.path}:${row.statement.line}`);
  const facts = rows.map((row) => [formatDuration(row.statement.durationMs), ...rowFacts(row)].join(', '));
  const left = LAYOUT.margin + Math.max(80, ...labels.map(textWidth)) + LAYOUT.margin;
  const right = left + LAYOUT.plot;
  const width = Math.max(right + LAYOUT.margin + Math.max(0, ...facts.map(textWidth)) + LAYOUT.margin, textWidth(LEGEND[1]) + 2 * LAYOUT.margin);
  const height = LAYOUT.top + rows.length * LAYOUT.row + LAYOUT.bottom;
  const x = (ms: number) => left + (ms / total) * LAYOUT.plot;
  const body = rows.map((row, i) => {
    const y = LAYOUT.top + i * LAYOUT.row;
    const barWidth = Math.max(2, x(row.endMs) - x(row.startMs));
    return [
      `<g class="statement">`,
      `<title>${xml(`${labels[i]}: ${facts[i]}`)}</title>`,
      `<text x="${LAYOUT.margin}" y="${y + 16}" class="label">${xml(labels[i])}</text>`,
      `<rect x="${x(row.startMs).toFixed(1)}" y="${y + 4}" width="${barWidth.toFixed(1)}" height="${LAYOUT.row - 8}" fill="${colourOf(row)}"/>`,
      `<text x="${right + LAYOUT.margin}" y="${y + 16}" class="facts">${xml(facts[i])}</text>`,
      `</g>`,
    ].join('');
  });
  const axisY = LAYOUT.top + rows.length * LAYOUT.row + 16;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<style>.label{fill:#222}.facts{fill:#444}.axis{fill:#666}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${LAYOUT.margin}" y="22" font-size="16" font-weight="bold">${xml(`Drillbot drill timeline: ${rows.length} statement${rows.length === 1 ? '' : 's'}, ${formatDuration(total)}`)}</text>`,
    ...LEGEND.map((line, i) => `<text x="${LAYOUT.margin}" y="${42 + i * 16}" class="axis">${xml(line)}</text>`),
    ...body,
    `<line x1="${left}" y1="${axisY - 10}" x2="${right}" y2="${axisY - 10}" stroke="#999"/>`,
    `<text x="${left}" y="${axisY + 4}" class="axis">0 ms</text>`,
    `<text x="${right}" y="${axisY + 4}" class="axis" text-anchor="end">${xml(formatDuration(total))}</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

const LEGEND = [
  'Bar colour: the strongest lock the statement took on an existing table. Red: ACCESS EXCLUSIVE (blocks reads and writes),',
  'orange: SHARE or stronger (blocks writes), yellow: weaker, grey: none taken (a lock taken earlier in its transaction is still held), dark red: error.',
] as const;

/** Text safe inside an XML element or attribute; characters XML 1.0 forbids are dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
