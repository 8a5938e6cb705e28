import { testRule } from '../testing/rule-tester.js';
import rule from './ban-drop-column.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users ADD COLUMN nickname text;',
    'ALTER TABLE users ALTER COLUMN email DROP DEFAULT;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;' },
    { name: 'column added earlier in the same file', sql: 'ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;' },
    {
      name: 'column of a qualified table added earlier, dropped unqualified',
      sql: 'ALTER TABLE public.users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;',
    },
    { name: 'foreign tables hold no data of their own', sql: 'ALTER FOREIGN TABLE remote_users DROP COLUMN email;' },
    {
      name: 'column added by an earlier migration of the change',
      before: 'ALTER TABLE users ADD COLUMN nickname text;',
      sql: 'ALTER TABLE users DROP COLUMN nickname;',
    },
    { name: 'table created by an earlier migration of the change', before: 'CREATE TABLE t (a int, b int);', sql: 'ALTER TABLE t DROP COLUMN b;' },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users DROP COLUMN email;',
      errors: [{ line: 1, messageId: 'dropColumn', data: { table: 'users', column: 'email' }, message: /users\.email destroys its data/ }],
    },
    {
      name: 'IF EXISTS and CASCADE do not make it safe',
      sql: 'SELECT 1;\nALTER TABLE public.users DROP COLUMN IF EXISTS email CASCADE;',
      errors: [{ line: 2, message: /users\.email/ }],
    },
    {
      name: 'one finding per dropped column',
      sql: 'ALTER TABLE users\n  DROP COLUMN a,\n  DROP COLUMN b;',
      errors: [
        { line: 1, message: /users\.a/ },
        { line: 1, message: /users\.b/ },
      ],
    },
    {
      name: 'a different column added earlier does not exempt',
      sql: 'ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN email;',
      errors: [{ line: 2 }],
    },
    {
      name: 'a column added to another table by an earlier migration does not count',
      before: 'ALTER TABLE orders ADD COLUMN nickname text;',
      sql: 'ALTER TABLE users DROP COLUMN nickname;',
      errors: [{ line: 1 }],
    },
  ],
});
