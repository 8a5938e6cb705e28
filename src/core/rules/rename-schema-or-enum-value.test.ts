import { testRule } from '../testing/rule-tester.js';
import rule from './rename-schema-or-enum-value.js';

testRule(rule, {
  valid: [
    "ALTER TYPE status ADD VALUE 'archived';",
    'ALTER TABLE users RENAME TO accounts;',
    { name: 'schema created earlier in the same file', sql: 'CREATE SCHEMA tmp;\nALTER SCHEMA tmp RENAME TO reporting;' },
    { name: 'enum created earlier in the same file', sql: "CREATE TYPE app.status AS ENUM ('a');\nALTER TYPE app.status RENAME VALUE 'a' TO 'b';" },
    { name: 'schema created by an earlier migration of the change', before: 'CREATE SCHEMA staging;', sql: 'ALTER SCHEMA staging RENAME TO staging_v2;' },
    {
      name: 'enum created by an earlier migration of the change',
      before: "CREATE TYPE mood AS ENUM ('sad', 'ok');",
      sql: "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';",
    },
  ],
  invalid: [
    {
      sql: 'ALTER SCHEMA reporting RENAME TO analytics;',
      errors: [{ line: 1, messageId: 'renameSchema', message: /schema reporting to analytics breaks/ }],
    },
    {
      sql: "SELECT 1;\nALTER TYPE app.status RENAME VALUE 'active' TO 'enabled';",
      errors: [{ line: 2, messageId: 'renameEnumValue', message: /value 'active' of enum app\.status/ }],
    },
  ],
});
