import { testRule } from '../testing/rule-tester.js';
import { lintWith } from '../testing/rule-tester.js';
import rule from './constraint-missing-not-valid.js';

testRule(rule, {
  valid: [
    'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;',
    { name: 'VALIDATE takes SHARE UPDATE EXCLUSIVE', sql: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);' },
    { name: 'foreign keys are another rule’s business', sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);' },
  ],
  invalid: [
    {
      name: 'ADD COLUMN with a CHECK (crates.io 2026-06-17-155847-0000_add_version_zip_checksums)',
      sql: 'ALTER TABLE versions\n    ADD COLUMN IF NOT EXISTS zip_sha256 BYTEA NULL\n        CONSTRAINT versions_zip_sha256_len CHECK (octet_length(zip_sha256) = 32);',
      errors: [{ line: 1, message: /CHECK constraint versions_zip_sha256_len to versions scans the whole table/ }],
    },
    {
      name: 'unnamed column CHECK',
      sql: 'ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0);',
      errors: [{ line: 1, message: /column qty with a CHECK constraint to orders/ }],
    },
    {
      sql: 'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);',
      errors: [{ line: 1, message: /CHECK constraint orders_total_check to orders scans the whole table/ }],
      fix: 'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n-- in a later migration (its own transaction): ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;',
    },
    {
      name: 'NO INHERIT keeps its place before NOT VALID',
      sql: 'ALTER TABLE ONLY orders\n  ADD CONSTRAINT c CHECK (total >= 0) NO INHERIT;',
      transaction: 'none',
      errors: [{ line: 1 }],
      fix: 'ALTER TABLE ONLY orders\n  ADD CONSTRAINT c CHECK (total >= 0) NO INHERIT NOT VALID;\n-- in a later migration (its own transaction): ALTER TABLE orders VALIDATE CONSTRAINT c;',
    },
    {
      name: 'unnamed check: a recipe that names it',
      sql: 'ALTER TABLE orders ADD CHECK (total >= 0);',
      errors: [{ line: 1, message: /a CHECK constraint to orders/ }],
    },
    {
      name: 'check among other subcommands: a recipe',
      sql: "ALTER TABLE orders ADD COLUMN note text, ADD CONSTRAINT c CHECK (total >= 0), ADD CONSTRAINT d CHECK (note <> '') NOT VALID;",
      errors: [{ line: 1, message: /CHECK constraint c / }],
    },
  ],
});

describe('constraint-missing-not-valid recipes', () => {
  it('names an unnamed check and repeats its expression', async () => {
    const [f] = await lintWith(rule, { sql: 'ALTER TABLE orders ADD CHECK (total >= 0);' });
    expect(f.fix).toBe(
      'ALTER TABLE orders ADD CONSTRAINT orders_check CHECK (total >= 0) NOT VALID;\n-- in a later migration (its own transaction): ALTER TABLE orders VALIDATE CONSTRAINT orders_check;',
    );
  });

  it('cuts the constraint out of a statement with several subcommands', async () => {
    const [f] = await lintWith(rule, { sql: 'ALTER TABLE orders ADD COLUMN note text, ADD CONSTRAINT c CHECK (total >= 0), DROP COLUMN x;' });
    expect(f.fix).toContain('ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;');
  });

  it('moves a column CHECK out of ADD COLUMN, since a column constraint cannot say NOT VALID', async () => {
    const [f] = await lintWith(rule, {
      sql: 'ALTER TABLE versions ADD COLUMN zip_sha256 bytea CONSTRAINT versions_zip_sha256_len CHECK (octet_length(zip_sha256) = 32);',
    });
    expect(f.fix).toBe(
      [
        '-- add column zip_sha256 without its CHECK, then the constraint as its own statement:',
        'ALTER TABLE versions ADD CONSTRAINT versions_zip_sha256_len CHECK (octet_length(zip_sha256) = 32) NOT VALID;',
        '-- in a later migration (its own transaction): ALTER TABLE versions VALIDATE CONSTRAINT versions_zip_sha256_len;',
      ].join('\n'),
    );
  });
});
