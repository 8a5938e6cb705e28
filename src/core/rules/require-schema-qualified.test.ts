import { testRule } from '../testing/rule-tester.js';
import rule from './require-schema-qualified.js';

testRule(rule, {
  valid: [
    'CREATE TABLE app.users (id bigint);',
    'ALTER TABLE app.users ADD COLUMN email text;',
    'CREATE INDEX CONCURRENTLY users_email_idx ON app.users (email);',
    'DROP TABLE IF EXISTS app.tmp, app.tmp2;',
    { name: 'temporary tables cannot be qualified', sql: 'CREATE TEMP TABLE scratch (a int);' },
    { name: 'schemas themselves are not qualified', sql: 'DROP SCHEMA old;' },
  ],
  invalid: [
    { sql: 'CREATE TABLE users (id bigint);', errors: [{ line: 1, message: /^users is not schema-qualified/ }] },
    { sql: 'SELECT 1;\nDROP TABLE app.a, b, c;', errors: [{ line: 2, message: /^b, c are not schema-qualified, so the object dropped/ }] },
    { sql: 'CREATE INDEX i ON users (a);\nALTER TABLE users RENAME TO accounts;', errors: [{ line: 1 }, { line: 2 }] },
  ],
});
