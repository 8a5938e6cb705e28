import { testRule } from '../testing/rule-tester.js';
import rule from './require-concurrent-reindex.js';

testRule(rule, {
  valid: [
    { sql: 'REINDEX INDEX CONCURRENTLY users_email_idx;', transaction: 'none' },
    { sql: 'REINDEX (CONCURRENTLY) TABLE users;', transaction: 'none' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nREINDEX TABLE t;' },
    { name: 'index created earlier in the file', sql: 'CREATE INDEX t_a_idx ON t (a);\nREINDEX INDEX t_a_idx;' },
    { name: 'REINDEX SYSTEM has no concurrent form', sql: 'REINDEX SYSTEM;', transaction: 'none' },
    {
      name: 'index created by an earlier migration of the change',
      before: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      sql: 'REINDEX INDEX users_email_idx;',
    },
  ],
  invalid: [
    {
      sql: 'REINDEX INDEX users_email_idx;',
      transaction: 'none',
      errors: [{ line: 1, messageId: 'reindexIndex', message: /users_email_idx blocks writes/ }],
      fix: 'REINDEX INDEX CONCURRENTLY users_email_idx;',
    },
    {
      name: 'table with options',
      sql: 'REINDEX (VERBOSE) TABLE app.users;',
      transaction: 'none',
      errors: [{ line: 1, messageId: 'reindexMany', message: /REINDEX TABLE app\.users/ }],
      fix: 'REINDEX (VERBOSE) TABLE CONCURRENTLY app.users;',
    },
    {
      name: 'CONCURRENTLY false is not concurrent',
      sql: 'REINDEX (CONCURRENTLY false) INDEX users_email_idx;',
      transaction: 'none',
      errors: [{ line: 1, messageId: 'reindexIndex' }],
      fix: 'REINDEX (CONCURRENTLY false) INDEX CONCURRENTLY users_email_idx;',
    },
    {
      name: 'inside a transaction the fix is a recipe',
      sql: 'REINDEX TABLE users;',
      errors: [{ line: 1, messageId: 'reindexMany' }],
    },
    {
      name: 'before PostgreSQL 12 the fix builds a replacement index',
      sql: 'REINDEX INDEX users_email_idx;',
      transaction: 'none',
      pgMajor: 11,
      errors: [{ line: 1, messageId: 'reindexIndex' }],
    },
  ],
});
