import { testRule } from '../testing/rule-tester.js';
import rule from './robust-statements-without-transaction.js';

testRule(rule, {
  valid: [
    { name: 'in a transaction a failure rolls everything back', sql: 'CREATE TABLE t (a int);\nDROP TABLE u;' },
    { name: 'a lone statement cannot fail half way', sql: "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);", transaction: 'none' },
    {
      name: 'guarded statements',
      sql: 'CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nDROP INDEX CONCURRENTLY IF EXISTS j;\nALTER TABLE t ADD COLUMN IF NOT EXISTS b int;',
      transaction: 'none',
    },
    {
      name: 'DROP IF EXISTS before the CREATE also re-runs cleanly',
      sql: 'DROP INDEX CONCURRENTLY IF EXISTS i;\nCREATE INDEX CONCURRENTLY i ON t (a);',
      transaction: 'none',
    },
    {
      name: 'statements inside BEGIN/COMMIT written in the file',
      sql: 'BEGIN;\nCREATE TABLE t (a int);\nCREATE TABLE u (a int);\nCOMMIT;',
      transaction: 'none',
    },
  ],
  invalid: [
    {
      sql: 'CREATE TABLE t (a int);\nDROP INDEX CONCURRENTLY IF EXISTS x;',
      transaction: 'none',
      errors: [{ line: 1, messageId: 'unguardedCreate', message: /^CREATE TABLE t has no IF NOT EXISTS guard/ }],
      fix: 'CREATE TABLE IF NOT EXISTS t (a int);',
    },
    {
      name: 'CREATE INDEX CONCURRENTLY: drop a leftover INVALID index first rather than IF NOT EXISTS',
      sql: 'CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX CONCURRENTLY t_a_idx ON app.t (a);',
      transaction: 'none',
      errors: [{ line: 2, messageId: 'unguardedCreate', message: /^CREATE INDEX t_a_idx/ }],
      fix: 'DROP INDEX CONCURRENTLY IF EXISTS app.t_a_idx;\nCREATE INDEX CONCURRENTLY t_a_idx ON app.t (a);',
    },
    {
      name: 'the drop gets IF EXISTS as a suggestion',
      sql: 'CREATE TABLE IF NOT EXISTS t (a int);\nDROP INDEX CONCURRENTLY old_idx;',
      transaction: 'none',
      errors: [{ line: 2, messageId: 'unguardedDrop', message: /^DROP old_idx has no IF EXISTS guard/ }],
      fix: 'DROP INDEX CONCURRENTLY IF EXISTS old_idx;',
    },
    {
      name: 'ALTER TABLE gets a recipe',
      sql: 'CREATE TABLE IF NOT EXISTS t (a int);\nALTER TABLE users ADD COLUMN b int;',
      transaction: 'none',
      errors: [{ line: 2, messageId: 'unguardedCreate', message: /^ALTER TABLE users/ }],
    },
    {
      name: 'golang-migrate lone statements are not in a transaction either',
      sql: 'CREATE SCHEMA IF NOT EXISTS app;\nCREATE EXTENSION pg_trgm;',
      transaction: 'none',
      layout: 'golang-migrate',
      errors: [{ line: 2, messageId: 'unguardedCreate' }],
      fix: 'CREATE EXTENSION IF NOT EXISTS pg_trgm;',
    },
    {
      name: 'an unnamed index cannot take IF NOT EXISTS: a recipe',
      sql: 'CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX ON t (a);',
      transaction: 'none',
      errors: [{ line: 2, messageId: 'unguardedCreate' }],
    },
  ],
});
