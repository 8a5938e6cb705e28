import { testRule } from '../testing/rule-tester.js';
import rule from './require-statement-timeout.js';

const FIX = "SET statement_timeout = '1min'; -- above the longest expected run of this statement (it includes lock waits)";

testRule(rule, {
  valid: [
    "SET statement_timeout = '30s';\nALTER TABLE users ADD COLUMN note text;",
    "SET LOCAL statement_timeout = '1h';\nCREATE INDEX users_email_idx ON users (email);",
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\nALTER TABLE t ADD COLUMN b int;' },
    { name: 'CREATE INDEX CONCURRENTLY does not block writes', sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', transaction: 'none' },
    { name: 'VALIDATE CONSTRAINT does not block writes', sql: 'ALTER TABLE users VALIDATE CONSTRAINT users_age_check;' },
    {
      name: 'lock_timeout is a different setting, but statement_timeout is set',
      sql: "SET lock_timeout = '5s';\nSET statement_timeout = '10min';\nDROP TABLE old_sessions;",
    },
    {
      name: 'DROP INDEX of an index an earlier migration created on a new table',
      before: ['CREATE TABLE t (a int);', 'CREATE INDEX t_a_idx ON t (a);'],
      sql: 'DROP INDEX t_a_idx;',
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ADD COLUMN note text;',
      errors: [{ line: 1, message: /ALTER TABLE takes ACCESS EXCLUSIVE on users with no statement_timeout/ }],
      fix: `${FIX}\nALTER TABLE users ADD COLUMN note text;`,
    },
    {
      name: 'CREATE INDEX takes SHARE, which blocks writes for the build',
      sql: "SET lock_timeout = '5s';\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD COLUMN a int;",
      errors: [{ line: 2, message: /CREATE INDEX takes SHARE on users .*like 1 later statement of/ }],
      fix: `${FIX}\nCREATE INDEX users_email_idx ON users (email);`,
    },
    {
      name: 'statement_timeout = 0 turns the timeout off',
      sql: 'SET statement_timeout = 0;\nVACUUM FULL users;',
      transaction: 'none',
      errors: [{ line: 2, message: /VACUUM FULL/ }],
      fix: `${FIX}\nVACUUM FULL users;`,
    },
  ],
});
