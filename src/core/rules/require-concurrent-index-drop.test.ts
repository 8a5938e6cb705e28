import { testRule } from '../testing/rule-tester.js';
import rule from './require-concurrent-index-drop.js';

testRule(rule, {
  valid: [
    { sql: 'DROP INDEX CONCURRENTLY users_email_idx;', transaction: 'none' },
    { sql: 'DROP INDEX CONCURRENTLY IF EXISTS app.users_email_idx;', transaction: 'none' },
    { name: 'index created earlier in the same file', sql: 'CREATE INDEX users_tmp_idx ON users (email);\nDROP INDEX users_tmp_idx;' },
    { name: 'schema-qualified drop of an index created earlier', sql: 'CREATE INDEX users_tmp_idx ON app.users (email);\nDROP INDEX app.users_tmp_idx;' },
    { name: 'other object types', sql: 'DROP TABLE users;\nDROP VIEW v;' },
    {
      name: 'index created by an earlier migration of the change',
      before: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      sql: 'DROP INDEX users_email_idx;',
    },
  ],
  invalid: [
    {
      name: 'plain DROP INDEX outside a transaction: drop-in replacement',
      sql: 'DROP INDEX users_email_idx;',
      transaction: 'none',
      errors: [{ line: 1, message: /users_email_idx.*ACCESS EXCLUSIVE/ }],
      fix: 'DROP INDEX CONCURRENTLY users_email_idx;',
    },
    {
      name: 'IF EXISTS and schema are kept in the replacement',
      sql: 'DROP INDEX IF EXISTS app.users_email_idx;',
      transaction: 'none',
      errors: [{ line: 1, message: /app\.users_email_idx/ }],
      fix: 'DROP INDEX CONCURRENTLY IF EXISTS app.users_email_idx;',
    },
    {
      name: 'inside a transaction the fix is a recipe',
      sql: 'SET lock_timeout = 1000;\nDROP INDEX users_email_idx;',
      errors: [{ line: 2 }],
    },
    {
      name: 'several indexes: only those not created in the file are named',
      sql: 'CREATE INDEX a_idx ON t (a);\nDROP INDEX a_idx, b_idx;',
      transaction: 'none',
      errors: [{ line: 2, message: /DROP INDEX b_idx takes/ }],
    },
    {
      name: 'CASCADE cannot be combined with CONCURRENTLY',
      sql: 'DROP INDEX users_email_idx CASCADE;',
      transaction: 'none',
      errors: [{ line: 1 }],
    },
    {
      name: 'index of the same name created in another schema',
      sql: 'CREATE INDEX i ON other.t (a);\nDROP INDEX app.i;',
      transaction: 'none',
      errors: [{ line: 2 }],
      fix: 'DROP INDEX CONCURRENTLY app.i;',
    },
  ],
});
