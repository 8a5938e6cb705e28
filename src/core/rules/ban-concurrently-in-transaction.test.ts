import { testRule } from '../testing/rule-tester.js';
import rule from './ban-concurrently-in-transaction.js';

testRule(rule, {
  valid: [
    { name: 'goose NO TRANSACTION file', sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', transaction: 'none' },
    {
      name: 'golang-migrate file with the statement alone',
      sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      layout: 'golang-migrate',
      transaction: 'single-query',
    },
    {
      name: 'after COMMIT in a non-transactional file',
      sql: 'BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nDROP INDEX CONCURRENTLY users_a_idx;',
      transaction: 'none',
    },
    { name: 'non-concurrent DDL in a transaction', sql: 'CREATE INDEX users_email_idx ON users (email);\nREINDEX TABLE users;' },
    { name: 'ANALYZE may run in a transaction', sql: 'ANALYZE users;' },
    { name: 'ALTER TYPE ADD VALUE on PostgreSQL 12+', sql: "ALTER TYPE mood ADD VALUE 'meh';" },
    { name: 'DETACH PARTITION without CONCURRENTLY', sql: 'ALTER TABLE events DETACH PARTITION events_2020;' },
  ],
  invalid: [
    {
      name: 'goose file wrapped in a transaction',
      sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      errors: [{ line: 1, message: /CREATE INDEX CONCURRENTLY on users cannot run inside a transaction block, but goose/ }],
    },
    {
      name: 'golang-migrate file with several statements',
      sql: "SET lock_timeout = '3s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
      layout: 'golang-migrate',
      transaction: 'single-query',
      errors: [{ line: 2, message: /golang-migrate sends the file as one query string/ }],
    },
    {
      name: 'explicit BEGIN in a non-transactional file',
      sql: 'BEGIN;\nDROP INDEX CONCURRENTLY users_email_idx;\nCOMMIT;',
      transaction: 'none',
      errors: [{ line: 2, message: /BEGIN on line 1/ }],
    },
    {
      name: 'every non-transactional statement kind',
      sql: [
        'REINDEX INDEX CONCURRENTLY users_email_idx;',
        'REINDEX SCHEMA app;',
        'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;',
        'VACUUM users;',
        "ALTER SYSTEM SET work_mem = '64MB';",
        'CREATE DATABASE reports;',
      ].join('\n'),
      layout: 'dbmate',
      errors: [
        { line: 1, message: /REINDEX CONCURRENTLY users_email_idx/ },
        { line: 2, message: /REINDEX SCHEMA app/ },
        { line: 3, message: /DETACH PARTITION CONCURRENTLY on events/ },
        { line: 4, message: /VACUUM users/ },
        { line: 5, message: /ALTER SYSTEM/ },
        { line: 6, message: /CREATE DATABASE reports/ },
      ],
    },
    {
      name: 'ALTER TYPE ADD VALUE before PostgreSQL 12',
      sql: "ALTER TYPE mood ADD VALUE 'meh';",
      layout: 'diesel',
      pgMajor: 11,
      errors: [{ line: 1, message: /before PostgreSQL 12/ }],
    },
  ],
});
