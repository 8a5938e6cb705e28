import pg from 'pg';
import { LATER_KEYWORDS, quoteIdent, quoteLiteral } from './quote.js';

const URL = process.env.DRILLBOT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Names that tell a careful quoter from a careless one. */
const AWKWARD = [
  'users',
  'Users',
  'user',
  'select',
  'name',
  'text',
  'a b',
  'a"b',
  '"',
  '',
  'x$1',
  '_t9',
  '9lives',
  'ünïcode',
  'a-b',
  'a.b',
  'MiXeD',
  "o'brien",
];

describe('quoteIdent, against the server', () => {
  const client = new pg.Client({ connectionString: URL });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it('quotes as quote_ident does: awkward names and every keyword the server knows', async () => {
    const { rows: keywords } = await client.query<{ word: string }>('SELECT word FROM pg_get_keywords()');
    const names = [...AWKWARD, ...keywords.map((k) => k.word)].filter((n) => !LATER_KEYWORDS.includes(n));
    const { rows } = await client.query<{ name: string; quoted: string }>('SELECT n AS name, quote_ident(n) AS quoted FROM unnest($1::text[]) AS n', [names]);
    expect(rows.map((r) => [r.name, quoteIdent(r.name)])).toEqual(rows.map((r) => [r.name, r.quoted]));
  });

  it("writes names the server reads back unchanged, the later majors' keywords too", async () => {
    for (const name of [...AWKWARD.filter((n) => n !== ''), ...LATER_KEYWORDS]) {
      const { fields } = await client.query(`SELECT 1 AS ${quoteIdent(name)}`);
      expect(fields[0].name).toBe(name);
    }
  });

  it('writes literals the server reads back unchanged', async () => {
    const texts = ["o'brien", "''", '\\', 'a\nb'];
    const { rows } = await client.query<{ t: string }>(texts.map((t) => `SELECT ${quoteLiteral(t)} AS t`).join(' UNION ALL '));
    expect(rows.map((r) => r.t)).toEqual(texts);
  });
});
