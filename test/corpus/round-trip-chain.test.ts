import { drill } from '../support/drill.js';

// The drill reverses a change's migrations newest first and compares each reverse with the state
// before its forward. What a newer reverse leaves behind is still there when an older one is
// checked; it belongs to the newer migration only. On the real histories (harness #62–#66, #200–#205,
// #86–#88) it used to be reported again on every older migration of the window.
const SHOP = {
  '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(100), note varchar(100));',
  '1_users.down.sql': 'DROP TABLE users;',
};

describe('round trip of several migrations, newest first', () => {
  it('reports a schema or data leftover of a reverse only at its own migration, not at the older ones', async () => {
    const report = await drill(SHOP, {
      '2_tags.up.sql': 'CREATE TABLE tags (id bigint PRIMARY KEY, label text);',
      '2_tags.down.sql': 'DROP TABLE tags;',
      '3_email.up.sql': 'ALTER TABLE users ADD COLUMN verified boolean;',
      '3_email.down.sql': 'ALTER TABLE users DROP COLUMN verified;',
      // Its reverse keeps the default and cannot bring the overwritten names back.
      '4_names.up.sql': "ALTER TABLE users ALTER COLUMN note SET DEFAULT 'none';\nUPDATE users SET name = upper(name);",
      '4_names.down.sql': 'SELECT 1;',
    });
    const drillFindings = report.findings.filter((f) => f.source === 'drill' && ['reverse-mismatch', 'data-loss'].includes(f.hazard));
    expect(drillFindings.map((f) => `${f.hazard}@${f.path.replace(/^db\//, '')}`).sort()).toEqual([
      'data-loss@4_names.down.sql',
      'reverse-mismatch@4_names.up.sql',
    ]);
    expect(report.drill?.roundTrip).toBe('mismatch');
  });

  it('still reports an older migration whose own reverse leaves something behind', async () => {
    const report = await drill(SHOP, {
      '2_tags.up.sql':
        "CREATE TABLE tags (id bigint PRIMARY KEY, label text);\nCREATE INDEX tags_label_idx ON tags (label);\nALTER TABLE users ALTER COLUMN email SET DEFAULT '';",
      '2_tags.down.sql': 'DROP TABLE tags;',
      '3_note.up.sql': "ALTER TABLE users ALTER COLUMN note SET DEFAULT 'none';",
      '3_note.down.sql': 'SELECT 1;',
    });
    const mismatches = report.findings.filter((f) => f.source === 'drill' && f.hazard === 'reverse-mismatch');
    expect(mismatches.map((f) => `${f.path.replace(/^db\//, '')}:${f.line}`).sort()).toEqual(['2_tags.up.sql:3', '3_note.up.sql:1']);
    expect(mismatches.find((f) => f.path.endsWith('2_tags.up.sql'))?.message).toMatch(/email/);
    expect(mismatches.find((f) => f.path.endsWith('2_tags.up.sql'))?.message).not.toMatch(/note/);
  });
});
