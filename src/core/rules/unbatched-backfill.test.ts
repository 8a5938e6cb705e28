import { testRule } from '../testing/rule-tester.js';
import rule from './unbatched-backfill.js';

testRule(rule, {
  valid: [
    'UPDATE users SET status = 1 WHERE id = 42;',
    "UPDATE users SET status = 'active' WHERE status IS NULL AND id >= 1 AND id < 10001;",
    'UPDATE users SET status = 1 WHERE id IN (SELECT id FROM users WHERE status IS NULL LIMIT 1000);',
    "DELETE FROM sessions WHERE created_at < '2020-01-01' AND id BETWEEN 1 AND 10000;",
    { name: 'DELETE without WHERE is ban-delete-without-where', sql: 'DELETE FROM sessions;' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nUPDATE t SET b = 1;' },
    { name: 'INSERT … VALUES', sql: "INSERT INTO settings (k, v) VALUES ('a', 'b');" },
    { name: 'INSERT … SELECT from a table created in the change', sql: 'CREATE TABLE t (a int);\nINSERT INTO users (id) SELECT a FROM t;' },
    { name: 'INSERT … SELECT with LIMIT is one batch', sql: 'INSERT INTO users_copy SELECT * FROM users ORDER BY id LIMIT 10000;' },
    {
      name: 'DDL committed before the data change',
      sql: 'BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nUPDATE users SET a = 1 WHERE id = 5;',
      transaction: 'none',
    },
    { name: 'DDL on another table in the same transaction', sql: 'ALTER TABLE orders ADD COLUMN a int;\nUPDATE users SET a = 1 WHERE id = 5;' },
  ],
  invalid: [
    {
      sql: "UPDATE users SET status = 'active';",
      errors: [{ line: 1, messageId: 'backfill', message: /UPDATE on users touches every row of users in one statement/ }],
    },
    {
      name: 'a non-selective WHERE (IS NULL), with the production size',
      sql: "UPDATE users SET status = 'active' WHERE status IS NULL;",
      sizes: { users: { rows: 12000000, bytes: 3 * 1024 ** 3 } },
      errors: [{ line: 1, messageId: 'backfill', message: /touches most rows of users in one statement \(about 12,000,000 rows, 3.0 GB in production\)/ }],
    },
    {
      name: 'UPDATE … FROM joined on columns',
      sql: 'UPDATE users u SET org_name = o.name FROM orgs o WHERE u.org_id = o.id;',
      errors: [{ line: 1, messageId: 'backfill', message: /touches most/ }],
    },
    {
      name: 'DELETE with a non-selective WHERE',
      sql: 'DELETE FROM sessions WHERE NOT active;',
      errors: [{ line: 1, messageId: 'backfill', message: /DELETE on sessions deletes most rows/ }],
    },
    {
      name: 'a selective UPDATE after DDL on the same table in the same transaction',
      sql: 'ALTER TABLE users ADD COLUMN a int;\nUPDATE users SET a = 1 WHERE id = 5;',
      errors: [{ line: 2, messageId: 'backfill', message: /same transaction as the ALTER TABLE on line 1, so users stays locked/ }],
    },
    {
      name: 'both reasons in one finding',
      sql: "CREATE INDEX users_s_idx ON users (s);\nUPDATE users SET s = '' WHERE s IS NULL;",
      errors: [
        {
          line: 2,
          messageId: 'backfill',
          message: /touches most rows of users in one statement.*, and runs in the same transaction as the CREATE INDEX on line 1/,
        },
      ],
    },
    {
      name: 'INSERT … SELECT from an existing table',
      sql: 'CREATE TABLE users_new (id bigint, email text);\nINSERT INTO users_new (id, email) SELECT id, email FROM users WHERE email IS NOT NULL;',
      sizes: { users: { rows: 5000, bytes: 1024 * 1024 } },
      errors: [{ line: 2, messageId: 'insertSelect', message: /copies every row of users \(about 5,000 rows, 1.0 MB in production\) into users_new/ }],
    },
  ],
});
