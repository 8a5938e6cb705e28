import { testRule } from '../testing/rule-tester.js';
import rule from './strong-lock-held-across-statements.js';

testRule(rule, {
  valid: [
    {
      name: 'the ACCESS EXCLUSIVE statement is the last of the transaction',
      sql: "SET lock_timeout = '5s';\nCREATE TABLE t (a int);\nALTER TABLE users ADD COLUMN note text;",
    },
    { name: 'only SET and COMMENT follow', sql: "ALTER TABLE users ADD COLUMN note text;\nCOMMENT ON COLUMN users.note IS 'free text';\nRESET lock_timeout;" },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_b_idx ON t (b);' },
    {
      name: 'not in a transaction: each statement commits on its own',
      sql: 'ALTER TABLE users ADD COLUMN note text;\nUPDATE users SET note = name WHERE id < 1000;',
      transaction: 'none',
    },
    {
      name: 'COMMIT right after the lock',
      sql: 'BEGIN;\nALTER TABLE users ADD COLUMN note text;\nCOMMIT;\nUPDATE users SET note = name WHERE id < 1000;',
      transaction: 'none',
    },
    {
      name: 'SHARE ROW EXCLUSIVE (ADD FOREIGN KEY) is not ACCESS EXCLUSIVE',
      sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;\nCREATE TABLE t (a int);',
    },
    {
      name: 'DROP INDEX of an index an earlier migration created on a new table',
      before: ['CREATE TABLE t (a int);', 'CREATE INDEX t_a_idx ON t (a);'],
      sql: 'DROP INDEX t_a_idx;\nCREATE TABLE u (a int);',
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ADD COLUMN note text;\nUPDATE users SET note = name WHERE id < 1000;\nCREATE TABLE t (a int);',
      errors: [{ line: 1, message: /ALTER TABLE takes ACCESS EXCLUSIVE on users and 2 more statements \(lines 2, 3\)/ }],
    },
    {
      name: 'reported once per transaction, at the first ACCESS EXCLUSIVE statement',
      sql: 'SELECT 1;\nDROP TABLE old_sessions;\nALTER TABLE users DROP COLUMN legacy;\nALTER TABLE orders DROP COLUMN legacy;',
      errors: [{ line: 2, message: /DROP TABLE takes ACCESS EXCLUSIVE on old_sessions and 2 more statements/ }],
    },
    {
      name: 'explicit blocks are checked one by one',
      sql: 'BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nBEGIN;\nALTER TABLE users ADD COLUMN b int;\nSELECT pg_sleep(1);\nCOMMIT;',
      transaction: 'none',
      errors: [{ line: 5, message: /and 1 more statement \(line 6\) runs/ }],
    },
  ],
});
