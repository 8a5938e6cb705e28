import { testRule } from '../testing/rule-tester.js';
import rule from './table-storage-rewrite.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users SET (fillfactor = 70);',
    'ALTER TABLE users ADD COLUMN note text;',
    { name: 'table created earlier in the change', sql: 'CREATE UNLOGGED TABLE t (a int);\nALTER TABLE t SET LOGGED;\nALTER TABLE t SET TABLESPACE fast;' },
  ],
  invalid: [
    { sql: 'ALTER TABLE users SET LOGGED;', errors: [{ line: 1, messageId: 'rewriteTable', message: /ALTER TABLE users SET LOGGED copies the whole table/ }] },
    { sql: 'ALTER TABLE users SET UNLOGGED;', errors: [{ line: 1, messageId: 'rewriteTable', message: /SET UNLOGGED/ }] },
    { sql: 'ALTER TABLE events SET TABLESPACE archive;', errors: [{ line: 1, messageId: 'rewriteTable', message: /events SET TABLESPACE/ }] },
    { sql: 'ALTER TABLE events SET ACCESS METHOD heap2;', errors: [{ line: 1, messageId: 'rewriteTable', message: /SET ACCESS METHOD/ }] },
    {
      sql: 'ALTER TABLE ALL IN TABLESPACE old SET TABLESPACE new;',
      errors: [{ line: 1, messageId: 'moveTablespace', message: /every table of that tablespace/ }],
    },
  ],
});
