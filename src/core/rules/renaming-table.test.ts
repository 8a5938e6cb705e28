import { testRule } from '../testing/rule-tester.js';
import rule from './renaming-table.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users RENAME COLUMN email TO mail;',
    'ALTER INDEX users_email_idx RENAME TO users_mail_idx;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t RENAME TO t2;' },
    { name: 'view shim under the old name', sql: 'ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;' },
    { name: 'qualified view shim', sql: 'ALTER TABLE app.users RENAME TO accounts;\nCREATE VIEW app.users AS SELECT * FROM app.accounts;' },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users RENAME TO accounts;',
      errors: [{ line: 1, message: /table users to accounts breaks/ }],
      fix: 'ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;',
    },
    {
      name: 'qualified name keeps the schema in the shim',
      sql: 'SELECT 1;\nALTER TABLE app.users\n  RENAME TO accounts;',
      errors: [{ line: 2 }],
      fix: 'ALTER TABLE app.users\n  RENAME TO accounts;\nCREATE VIEW app.users AS SELECT * FROM app.accounts;',
    },
    {
      name: 'a view created before the rename is no shim',
      sql: 'CREATE VIEW users_v AS SELECT 1;\nALTER TABLE users RENAME TO accounts;',
      errors: [{ line: 2 }],
      fix: 'ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;',
    },
    {
      name: 'sharing its line with another statement: a recipe, not a suggestion',
      sql: 'SELECT 1; ALTER TABLE users RENAME TO accounts;',
      errors: [{ line: 1, message: /users/ }],
    },
  ],
});
