import { testRule } from '../testing/rule-tester.js';
import rule from './ban-truncate.js';

testRule(rule, {
  valid: [
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nTRUNCATE t;' },
    { name: 'CASCADE on a table created earlier in the change', sql: 'CREATE TABLE t (a int);\nTRUNCATE TABLE t CASCADE;' },
    'DELETE FROM sessions WHERE id = 1;',
  ],
  invalid: [
    { sql: 'TRUNCATE sessions;', errors: [{ line: 1, messageId: 'truncate', message: /TRUNCATE removes every row of sessions/ }] },
    {
      sql: 'TRUNCATE TABLE users CASCADE;',
      errors: [{ line: 1, messageId: 'truncateCascade', message: /TRUNCATE … CASCADE empties users and also, silently, every table that references it/ }],
    },
    {
      name: 'only the existing tables of the list are named',
      sql: 'CREATE TABLE t (a int);\nTRUNCATE t, audit_log, events RESTART IDENTITY;',
      errors: [{ line: 2, messageId: 'truncate', message: /every row of audit_log, events, destroying/ }],
    },
  ],
});
