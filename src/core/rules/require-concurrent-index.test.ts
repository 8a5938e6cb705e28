import { testRule } from '../testing/rule-tester.js';
import rule from './require-concurrent-index.js';

testRule(rule, {
  valid: [
    { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', transaction: 'none' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);' },
  ],
  invalid: [
    {
      name: 'plain CREATE INDEX in a non-transactional file',
      sql: 'CREATE INDEX users_email_idx ON users (email);',
      transaction: 'none',
      errors: [{ line: 1, messageId: 'notConcurrent', data: { table: 'users' }, message: /SHARE lock/ }],
      fix: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
    },
    {
      name: 'unique index in a transactional file: the fix is a recipe, not a suggestion',
      sql: 'SELECT 1;\nCREATE UNIQUE INDEX users_email_key\n  ON users (email);',
      errors: [{ line: 2 }],
    },
  ],
});
