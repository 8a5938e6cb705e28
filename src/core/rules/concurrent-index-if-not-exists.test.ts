import { testRule } from '../testing/rule-tester.js';
import rule from './concurrent-index-if-not-exists.js';

testRule(rule, {
  valid: [
    { sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', transaction: 'none' },
    { name: 'IF NOT EXISTS without CONCURRENTLY is another rule’s business', sql: 'CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);' },
    {
      name: 'the recipe: drop the leftover, then build',
      sql: 'DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      transaction: 'none',
    },
    {
      name: 'table created earlier in the change',
      sql: 'CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);',
      transaction: 'none',
    },
  ],
  invalid: [
    {
      sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);',
      transaction: 'none',
      errors: [{ line: 1, message: /INVALID index.*users_email_idx/ }],
    },
    {
      name: 'unique index, schema-qualified',
      sql: 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key\n  ON app.users (email);',
      transaction: 'none',
      errors: [{ line: 1, message: /app\.users_email_key on app\.users/ }],
    },
  ],
});
