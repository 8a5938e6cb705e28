import { testRule } from '../testing/rule-tester.js';
import rule from './ban-drop-not-null.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    'ALTER TABLE users ALTER COLUMN email DROP DEFAULT;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;' },
    {
      name: 'column added earlier in the same file',
      sql: "ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'free';\nALTER TABLE users ALTER COLUMN tier DROP NOT NULL;",
    },
    {
      name: 'column added by an earlier migration of the change',
      before: "ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT '';",
      sql: 'ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;',
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;',
      errors: [{ line: 1, message: /users\.email lets NULLs in/ }],
    },
    {
      sql: 'SELECT 1;\nALTER TABLE app.orders\n  ALTER total DROP NOT NULL,\n  ALTER placed_at DROP NOT NULL;',
      errors: [
        { line: 2, message: /orders\.total/ },
        { line: 2, message: /orders\.placed_at/ },
      ],
    },
  ],
});
