import { testRule } from '../testing/rule-tester.js';
import rule from './extension-change.js';

testRule(rule, {
  valid: [
    'CREATE EXTENSION IF NOT EXISTS pg_trgm;',
    'DROP TABLE IF EXISTS t;',
    { name: 'extension created earlier in the same file', sql: 'CREATE EXTENSION hstore;\nALTER EXTENSION hstore UPDATE;\nDROP EXTENSION hstore;' },
    { name: 'extension created by an earlier migration of the change, dropped', before: 'CREATE EXTENSION pg_trgm;', sql: 'DROP EXTENSION pg_trgm;' },
    {
      name: 'extension created by an earlier migration of the change, updated',
      before: 'CREATE EXTENSION pg_trgm;',
      sql: "ALTER EXTENSION pg_trgm UPDATE TO '1.6';",
    },
  ],
  invalid: [
    {
      sql: "ALTER EXTENSION postgis UPDATE TO '3.4.2';",
      errors: [{ line: 1, messageId: 'update', message: /ALTER EXTENSION postgis UPDATE TO '3\.4\.2'/ }],
    },
    {
      sql: 'SELECT 1;\nDROP EXTENSION IF EXISTS pg_trgm CASCADE;',
      errors: [{ line: 2, messageId: 'dropCascade', message: /DROP EXTENSION pg_trgm .* CASCADE also drops/ }],
    },
  ],
});
