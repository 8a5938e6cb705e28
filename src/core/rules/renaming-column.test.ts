import { testRule } from '../testing/rule-tester.js';
import rule from './renaming-column.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users RENAME CONSTRAINT users_email_check TO users_email_format;',
    'ALTER INDEX users_email_idx RENAME TO users_email_key;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;' },
    { name: 'column added earlier in the same file', sql: 'ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users RENAME COLUMN nick TO nickname;' },
    {
      name: 'column added by an earlier migration of the change',
      before: 'ALTER TABLE users ADD COLUMN nick text;',
      sql: 'ALTER TABLE users RENAME COLUMN nick TO nickname;',
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users RENAME COLUMN email TO email_address;',
      errors: [{ line: 1, message: /users\.email to email_address breaks/ }],
    },
    {
      name: 'qualified table with IF EXISTS',
      sql: "SET lock_timeout = '1s';\nALTER TABLE IF EXISTS app.users\n  RENAME email TO mail;",
      errors: [{ line: 2, message: /users\.email to mail/ }],
    },
  ],
});
