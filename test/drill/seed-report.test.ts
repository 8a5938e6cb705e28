import { renderText } from '../../src/core/report/render/text.js';
import { drill } from '../support/drill.js';

/** Users the seeder fills; shapes it cannot (no values of type box), so their checks see no rows. */
const BASE = {
  '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);',
  '1_users.down.sql': 'DROP TABLE users;',
  '2_shapes.up.sql': 'CREATE TABLE shapes (id bigint PRIMARY KEY, outline box NOT NULL, size int);',
  '2_shapes.down.sql': 'DROP TABLE shapes;',
};

describe('review: what seeding did, per table', () => {
  it('reports rows per table and why a table stayed empty, in JSON, in the text and on findings that read its rows', async () => {
    const report = await drill(
      BASE,
      {
        '3_check.up.sql': 'ALTER TABLE shapes ADD CONSTRAINT size_positive CHECK (size > 0);',
        '3_check.down.sql': 'ALTER TABLE shapes DROP CONSTRAINT size_positive;',
      },
      { seedRows: 10 },
    );
    const reason = 'cannot generate values of type box for NOT NULL column outline';
    // Only the tables the change can touch are seeded (and reported): users is not one of them.
    expect(report.drill?.seeding).toEqual([{ table: 'public.shapes', rows: 0, reason }]);
    expect(report.drill?.seededTables).toBe(0);
    expect(renderText(report)).toContain(`Seeding: 1 of 1 tables short: public.shapes (0 rows): ${reason}\nRound trip: restored`);
    const scan = report.findings.find((f) => f.hazard === 'blocking-scan');
    expect(scan?.evidence).toContain(`public.shapes holds no seeded rows, so its rows were not checked: ${reason}`);
    // The checklist items that passed on data comparisons name the table they could not compare.
    const evidence = (id: string) => report.checklist?.find((a) => a.id === id)?.evidence;
    expect(evidence('forward-keeps-data')).toMatch(/; not checked for lack of seeded rows: public\.shapes$/);
    expect(evidence('reverse-round-trips')).toMatch(/; not checked for lack of seeded rows: public\.shapes$/);
  });

  it('adds no seeding line when every table is full', async () => {
    const report = await drill(
      { '1_users.up.sql': BASE['1_users.up.sql'], '1_users.down.sql': BASE['1_users.down.sql'] },
      {
        '2_note.up.sql': 'ALTER TABLE users ADD COLUMN note text;',
        '2_note.down.sql': 'ALTER TABLE users DROP COLUMN note;',
      },
      { seedRows: 10 },
    );
    expect(report.drill?.seeding).toEqual([{ table: 'public.users', rows: 10 }]);
    expect(renderText(report)).not.toContain('Seeding:');
    expect(report.checklist?.find((a) => a.id === 'forward-keeps-data')?.evidence).not.toContain('not checked');
  });
});
