import { testRule } from '../testing/rule-tester.js';
import rule from './require-lock-timeout.js';

testRule(rule, {
  valid: [
    "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN note text;",
    "SET LOCAL lock_timeout = '2s';\nALTER TABLE users DROP COLUMN note;",
    'SET lock_timeout TO 1000;\nCREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nDROP TABLE t;' },
    { name: 'SHARE UPDATE EXCLUSIVE does not queue writes', sql: 'ALTER TABLE users VALIDATE CONSTRAINT users_age_check;' },
    { name: 'SET STATISTICS takes SHARE UPDATE EXCLUSIVE', sql: 'ALTER TABLE users ALTER COLUMN email SET STATISTICS 500;' },
    { name: 'CREATE INDEX (SHARE) is require-concurrent-index territory', sql: 'CREATE INDEX users_email_idx ON users (email);' },
    { name: 'DML takes ROW EXCLUSIVE only', sql: "UPDATE users SET name = 'x' WHERE id = 1;" },
    { name: 'a CREATE TABLE without REFERENCES locks nothing existing', sql: 'CREATE TABLE t (a int PRIMARY KEY);' },
    { name: 'DROP INDEX of an index created on a new table', sql: 'CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\nDROP INDEX t_a_idx;' },
    { name: 'DETACH CONCURRENTLY takes SHARE UPDATE EXCLUSIVE', sql: 'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;', transaction: 'none' },
    {
      name: 'DROP INDEX of an index an earlier migration created on a new table',
      before: ['CREATE TABLE t (a int);', 'CREATE INDEX t_a_idx ON t (a);'],
      sql: 'DROP INDEX t_a_idx;',
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ADD COLUMN note text;',
      errors: [{ line: 1, message: /ALTER TABLE takes ACCESS EXCLUSIVE on users with no lock_timeout/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE users ADD COLUMN note text;",
    },
    {
      name: 'a run of uncovered statements is reported once, at its first',
      sql: 'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;\nDROP TABLE old_sessions;',
      errors: [{ line: 1, message: /like 2 later statements/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE users ADD COLUMN a int;",
    },
    {
      name: 'ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables',
      sql: 'ALTER TABLE orders\n  ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      errors: [{ line: 1, message: /SHARE ROW EXCLUSIVE on orders, users/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE orders\n  ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
    },
    {
      name: 'a new table referencing an existing one locks the existing one (SRE)',
      sql: 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);',
      errors: [{ line: 1, message: /CREATE TABLE … REFERENCES takes SHARE ROW EXCLUSIVE on users/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);",
    },
    {
      name: 'CREATE TRIGGER (catalogue #32)',
      sql: 'SELECT 1;\nCREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();',
      errors: [{ line: 2, message: /CREATE TRIGGER takes SHARE ROW EXCLUSIVE on users/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nCREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f();",
    },
    {
      name: 'ENABLE/DISABLE TRIGGER after RESET lock_timeout (catalogue #32)',
      sql: "SET lock_timeout = '1s';\nALTER TABLE users DISABLE TRIGGER t;\nRESET lock_timeout;\nALTER TABLE users ENABLE TRIGGER t;",
      errors: [{ line: 4, message: /ALTER TABLE takes SHARE ROW EXCLUSIVE on users/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE users ENABLE TRIGGER t;",
    },
    {
      name: 'lock_timeout = 0 disables the timeout',
      sql: 'SET lock_timeout = 0; ALTER TABLE users RENAME COLUMN a TO b;',
      errors: [{ line: 1, message: /RENAME takes ACCESS EXCLUSIVE on users/ }],
    },
    {
      name: 'SET LOCAL outside a transaction block has no effect',
      sql: "SET LOCAL lock_timeout = '5s';\nTRUNCATE audit_log;",
      transaction: 'none',
      errors: [{ line: 2, message: /TRUNCATE/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nTRUNCATE audit_log;",
    },
    {
      name: 'SET LOCAL ends at COMMIT',
      sql: "BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nALTER TABLE users ADD COLUMN b int;",
      transaction: 'none',
      errors: [{ line: 5 }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE users ADD COLUMN b int;",
    },
    {
      name: 'DROP INDEX names no table: reported as the table of the index',
      sql: 'DROP INDEX users_email_idx;',
      errors: [{ line: 1, message: /the table of index users_email_idx/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nDROP INDEX users_email_idx;",
    },
    {
      name: 'ATTACH PARTITION locks the attached table with ACCESS EXCLUSIVE',
      sql: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      errors: [{ line: 1, message: /ACCESS EXCLUSIVE on events_2024/ }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    },
    {
      name: 'a SET of an earlier migration does not cover this file',
      before: "SET lock_timeout = '5s';",
      sql: 'ALTER TABLE users ADD COLUMN note text;',
      errors: [{ line: 1 }],
      fix: "SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\nALTER TABLE users ADD COLUMN note text;",
    },
  ],
});
