import { statementKey, type SizedPass } from './drill/sized-pass.js';
import { finding } from './report/findings.js';
import type { MigrationResult, StatementResult } from './report/report.js';
import { extrapolateTime, judgeBySize, rowsToSeed, SIZED_SEED_ROWS, tablesToSize } from './table-sizes.js';

const PATH = 'db/2_change.up.sql';
const INDEX = finding({ hazard: 'blocking-index', source: 'drill', path: PATH, line: 3, message: 'Builds an index under ShareLock.', table: 'public.orders' });
const SIZES = new Map([['public.orders', { rows: 300_000, bytes: 40 * 1024 ** 2 }]]);
const SEEDING = [{ table: 'public.orders', rows: 100 }];

/** The drill's forward run of the change: the finding's statement took `ms` on the seeded rows. */
function forward(ms: number, status: StatementResult['status'] = 'applied'): MigrationResult[] {
  const statement: StatementResult = { line: 3, endLine: 3, status, durationMs: ms, locks: [], rewrites: [], scannedRows: {} };
  return [{ path: PATH, version: '2', direction: 'forward', status: 'applied', durationMs: ms, locks: [], rewrites: [], statements: [statement] }];
}

function sized(rows: number, ms?: number): SizedPass {
  return { rows: new Map([['public.orders', rows]]), durations: new Map(ms === undefined ? [] : [[statementKey(PATH, 3), ms]]), timedOut: new Map() };
}

function messageWith(migrations: MigrationResult[], pass?: SizedPass): string {
  return judgeBySize([INDEX], SIZES, { migrations, seeding: SEEDING, sized: pass })[0].message;
}

describe('extrapolateTime', () => {
  it('follows the slope between the two sizes from the first', () => {
    // fixed 1 ms, 0.001 ms a row
    expect(extrapolateTime({ n1: 100, t1: 1.1, n2: 100_000, t2: 101 }, 300_000)).toBeCloseTo(301, 5);
  });

  it('is never below what was measured', () => {
    expect(extrapolateTime({ n1: 100, t1: 5, n2: 1000, t2: 6 }, 50)).toBe(5);
  });

  it('gives no estimate when the larger size did not take longer, or was not larger', () => {
    expect(extrapolateTime({ n1: 100, t1: 5, n2: 100_000, t2: 5 }, 300_000)).toBeNull();
    expect(extrapolateTime({ n1: 100, t1: 5, n2: 100_000, t2: 4 }, 300_000)).toBeNull();
    expect(extrapolateTime({ n1: 100, t1: 5, n2: 100, t2: 9 }, 300_000)).toBeNull();
  });
});

describe('tablesToSize', () => {
  it('sizes the large tables under a size hazard, at most SIZED_SEED_ROWS rows, fewer when production has fewer', () => {
    const sizes = new Map([
      ['public.orders', { rows: 300_000, bytes: 1 }],
      ['public.users', { rows: 40_000, bytes: 1 }],
      ['public.tags', { rows: 200, bytes: 1 }],
    ]);
    const findings = [
      INDEX,
      finding({ hazard: 'rewrite', source: 'drill', path: PATH, line: 4, message: 'Rewrites users.', table: 'users' }),
      finding({ hazard: 'rewrite', source: 'drill', path: PATH, line: 5, message: 'Rewrites tags.', table: 'public.tags' }),
      // Not a size hazard: a big table does not make it worse.
      finding({ hazard: 'reverse-mismatch', source: 'drill', path: PATH, line: 6, message: 'Reverse leaves orders behind.', table: 'public.orders' }),
    ];
    const tables = tablesToSize(findings, sizes, 100);
    expect([...tables]).toEqual([
      ['public.orders', SIZED_SEED_ROWS],
      ['users', 40_000],
    ]);
    // The seeder names tables schema-qualified.
    expect(rowsToSeed(tables, 'public.users')).toBe(40_000);
    expect(rowsToSeed(tables, 'public.tags')).toBeUndefined();
  });

  it('needs no second pass when the drill already seeded as many rows, or no finding concerns a sized table', () => {
    expect(tablesToSize([INDEX], new Map([['public.orders', { rows: 50_000, bytes: 1 }]]), 50_000).size).toBe(0);
    expect(tablesToSize([INDEX], new Map([['public.users', { rows: 300_000, bytes: 1 }]]), 100).size).toBe(0);
  });
});

describe('judgeBySize lock-time estimates', () => {
  it('extrapolates the slope to production, stating the assumption and both measurements', () => {
    expect(messageWith(forward(1.1), sized(100_000, 101))).toBe(
      'Builds an index under ShareLock. On production public.orders has about 300 thousand rows (40 MiB); estimated lock time ≈ 301 ms, ' +
        'assuming the time is a fixed part plus a part linear in the rows: measured 1.1 ms on 100 seeded rows and 101 ms on 100 thousand rows.',
    );
  });

  it('says the time was measured at production size when the larger count is production’s', () => {
    const sizes = new Map([['public.orders', { rows: 40_000, bytes: 8 * 1024 ** 2 }]]);
    const [judged] = judgeBySize([INDEX], sizes, { migrations: forward(1.1), seeding: SEEDING, sized: sized(40_000, 2500) });
    expect(judged.message).toMatch(
      /estimated lock time ≈ 2\.5 s, measured 1\.1 ms on 100 seeded rows and 2\.5 s on 40 thousand rows, as many as production has\.$/,
    );
  });

  it('only states the measured time when the second pass failed', () => {
    expect(messageWith(forward(1.1), { failed: 'the seeding ran out of disk' })).toMatch(
      /about 300 thousand rows \(40 MiB\); the drill measured 1\.1 ms on 100 seeded rows, not extrapolated to production's size \(the timing with more rows failed: the seeding ran out of disk\)\.$/,
    );
  });

  it('only states the measured time when the larger size did not take longer', () => {
    expect(messageWith(forward(4), sized(100_000, 3.2))).toMatch(
      /the drill measured 4\.0 ms on 100 seeded rows, not extrapolated to production's size \(on 100 thousand rows it took 3\.2 ms, no longer\)\.$/,
    );
  });

  it('only states the measured time when the larger seeding fell short, or the second pass did not reach the statement', () => {
    expect(messageWith(forward(4), sized(100, 9))).toMatch(
      /not extrapolated to production's size \(only 100 rows could be seeded for the timing with more rows\)\.$/,
    );
    expect(messageWith(forward(4), sized(100_000))).toMatch(
      /not extrapolated to production's size \(the timing with more rows did not reach this statement\)\.$/,
    );
  });

  it('gives the statement timeout as a lower bound when the statement ran past it on the larger count', () => {
    const pass: SizedPass = { rows: new Map([['public.orders', 100_000]]), durations: new Map(), timedOut: new Map([[statementKey(PATH, 3), 5003]]) };
    expect(messageWith(forward(4), pass)).toMatch(
      /; the drill measured 4\.0 ms on 100 seeded rows, and on 100 thousand rows it ran past the statement timeout \(5\.0 s\), so on production's rows it holds its lock longer than that\.$/,
    );
  });

  it('states the size alone when the statement did not apply in the drill', () => {
    expect(messageWith(forward(4, 'failed'), sized(100_000, 300))).toBe(
      'Builds an index under ShareLock. On production public.orders has about 300 thousand rows (40 MiB).',
    );
  });

  it('lowers an error on a small table to a warning, with what was measured', () => {
    const [judged] = judgeBySize([INDEX], new Map([['public.orders', { rows: 200, bytes: 16384 }]]), { migrations: forward(0.4), seeding: SEEDING });
    expect(judged).toMatchObject({
      severity: 'warning',
      message:
        "Builds an index under ShareLock. On production public.orders has about 200 rows (16 KiB); the drill measured 0.4 ms on 100 seeded rows, not extrapolated to production's size. The table is small, so this is a warning.",
    });
  });
});
