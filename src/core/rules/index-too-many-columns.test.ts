import { testRule } from '../testing/rule-tester.js';
import rule from './index-too-many-columns.js';

testRule(rule, {
  valid: [
    'CREATE INDEX CONCURRENTLY i ON t (a, b, c);',
    { name: 'unique indexes need all their columns', sql: 'CREATE UNIQUE INDEX CONCURRENTLY i ON t (a, b, c, d);' },
    { name: 'INCLUDE columns are not keys', sql: 'CREATE INDEX CONCURRENTLY i ON t (a, b) INCLUDE (c, d, e);' },
  ],
  invalid: [
    { sql: 'CREATE INDEX CONCURRENTLY i ON t (a, b, c, d);', errors: [{ line: 1, message: /Index i on t has 4 key columns/ }] },
    { sql: 'CREATE INDEX ON app.t (a, lower(b), c, d, e);', errors: [{ line: 1, message: /^Index on t has 5 key columns/ }] },
  ],
});
