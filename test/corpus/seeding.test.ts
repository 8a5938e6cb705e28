import pg from 'pg';
import { prepareBase } from '../../src/core/drill/base-history.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { Deadline } from '../../src/core/deadline.js';
import { Guard } from '../../src/core/drill/guard.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { seedDatabase, type SeedResult } from '../../src/core/drill/seed.js';
import { corpusSuite, HARNESS, HATCHET, LEMMY, loadCorpus, OPENFGA, type CorpusRepo } from '../support/corpus.js';
import { LOCAL_URL } from '../support/drill.js';

// How much of a real schema the seeder fills: each history's base is replayed (through the
// template cache, as the drill does) and seeded as the migrator role. Lemmy stops at #247, the last
// migration PostgreSQL 15 replays (#248 needs 16+); Hatchet at #181 (#182 needs a Go migration).
// Reached with 20 rows: Harness 98/98, Hatchet 122/126 (three partitioned tables have no
// partition; TenantAlertingSettings gets 19: its tenantId is unique), OpenFGA 5/5, Lemmy 76/77
// (site_aggregates admits one row: a unique index on a constant).
const { describeCorpus } = corpusSuite('Seeding');

const ROWS = 20;

interface Measured {
  readonly corpus: CorpusRepo;
  readonly base: number;
  /** Share of tables that must get every asked row: a little under what the seeder reaches. */
  readonly floor: number;
}

const HISTORIES: Measured[] = [
  { corpus: HARNESS, base: 209, floor: 0.98 },
  { corpus: HATCHET, base: 181, floor: 0.95 },
  { corpus: OPENFGA, base: 6, floor: 1 },
  { corpus: LEMMY, base: 247, floor: 0.97 },
];

async function seedBase(corpus: CorpusRepo, base: number): Promise<SeedResult> {
  const signal = new AbortController().signal;
  const server = await createUrlProvider(LOCAL_URL).start({ signal });
  // The drill's own confinement: the replay and the seeded clone run as their databases' roles.
  const guard = new Guard(server, { ...DEFAULT_CONFIG.shadow, statementTimeoutMs: 120_000 }, new Deadline(600_000), '');
  try {
    const options = {
      setupSql: corpus.setup,
      historyPrivileges: 'owner' as const,
      useCache: true,
      statementTimeoutMs: 120_000,
      onProgress: () => undefined,
      guard,
      hold: () => undefined,
    };
    const { template } = await prepareBase(server, loadCorpus(corpus).migrations.slice(0, base), options);
    const database = await guard.create('seedcorpus', template);
    const client = new pg.Client(database.login);
    await client.connect();
    try {
      return await seedDatabase(client, { rowsPerTable: ROWS });
    } finally {
      await client.end();
      await guard.drop(database);
    }
  } finally {
    await guard.close();
    await server.close();
  }
}

describeCorpus('corpus seeding: share of tables seeded after each base history', () => {
  for (const h of HISTORIES) {
    it(`${h.corpus.repo} #1–#${h.base}: at least ${Math.round(h.floor * 100)}% of the tables get all ${ROWS} rows`, async () => {
      const result = await seedBase(h.corpus, h.base);
      const full = result.tables.filter((t) => t.rows >= ROWS);
      const short = result.tables.filter((t) => t.rows < ROWS);
      const share = full.length / result.tables.length;
      console.log(
        `${h.corpus.repo} #1–#${h.base}: ${full.length}/${result.tables.length} tables fully seeded (${(share * 100).toFixed(1)}%)` +
          short.map((t) => `\n  ${t.table}: ${t.rows} rows${t.reason ? `: ${t.reason}` : ''}`).join(''),
      );
      expect(share).toBeGreaterThanOrEqual(h.floor);
      // A table left short always says why.
      expect(short.filter((t) => !t.reason)).toEqual([]);
    }, 600_000);
  }
});
