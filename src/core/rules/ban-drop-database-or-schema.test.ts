import { testRule } from '../testing/rule-tester.js';
import rule from './ban-drop-database-or-schema.js';

testRule(rule, {
  valid: [
    'DROP TABLE IF EXISTS tmp;',
    'CREATE SCHEMA reporting;',
    { name: 'schema created earlier in the same file', sql: 'CREATE SCHEMA scratch;\nDROP SCHEMA scratch;' },
    { name: 'schema created by an earlier migration of the change', before: 'CREATE SCHEMA staging;', sql: 'DROP SCHEMA staging;' },
  ],
  invalid: [
    {
      sql: 'DROP SCHEMA reporting CASCADE;',
      errors: [{ line: 1, messageId: 'dropSchema', message: /DROP SCHEMA reporting destroys every table/ }],
    },
    {
      sql: 'DROP SCHEMA IF EXISTS a, b;',
      errors: [{ line: 1, messageId: 'dropSchema', message: /DROP SCHEMA a, b destroys the schema/ }],
    },
    {
      name: 'DROP DATABASE outside a transaction',
      sql: 'DROP DATABASE app;',
      transaction: 'none',
      errors: [{ line: 1, messageId: 'dropDatabase', message: /DROP DATABASE app/ }],
    },
  ],
});
