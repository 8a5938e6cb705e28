import { testRule } from '../testing/rule-tester.js';
import rule from './duplicate-column-assignment.js';

testRule(rule, {
  valid: [
    'CREATE TABLE t (a int, b int);',
    'INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b;',
    "UPDATE users SET status = 'active', updated_at = now() WHERE id = 1;",
    { name: 'different fields of one composite column', sql: 'UPDATE t SET addr.city = 1, addr.zip = 2;' },
    'CREATE VIEW v (a, b) AS SELECT 1, 2;',
    'ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int;',
  ],
  invalid: [
    {
      sql: 'CREATE TABLE t (\n  a int,\n  a text\n);',
      errors: [{ line: 1, message: /Column a appears twice in the CREATE TABLE of t/ }],
    },
    {
      sql: "SELECT 1;\nUPDATE users SET status = 'a', email = 'x', status = 'b';",
      errors: [{ line: 2, message: /status appears twice in the UPDATE … SET of users/ }],
    },
    {
      sql: 'INSERT INTO t (a, a, b, b, b) VALUES (1, 2, 3, 4, 5) ON CONFLICT (a) DO UPDATE SET b = 1, b = 2;',
      errors: [
        { line: 1, message: /Column a .* INSERT/ },
        { line: 1, message: /Column b .* INSERT/ },
        { line: 1, message: /ON CONFLICT/ },
      ],
    },
    { sql: 'CREATE VIEW v (a, a) AS SELECT 1, 2;', errors: [{ line: 1, message: /view column list of v/ }] },
    { sql: 'ALTER TABLE t ADD COLUMN a int, ADD COLUMN a text;', errors: [{ line: 1, message: /ADD COLUMN of t/ }] },
  ],
});
