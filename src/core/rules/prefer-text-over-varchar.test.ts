import { testRule } from '../testing/rule-tester.js';
import rule from './prefer-text-over-varchar.js';

testRule(rule, {
  valid: [
    'CREATE TABLE t (name text CHECK (length(name) <= 100));',
    { name: 'varchar without a length is text', sql: 'ALTER TABLE t ADD COLUMN name varchar;' },
  ],
  invalid: [
    { sql: 'CREATE TABLE t (name varchar(100));', errors: [{ line: 1, message: /t\.name is varchar\(100\)/ }] },
    { sql: 'ALTER TABLE t ALTER COLUMN name TYPE character varying(50);', errors: [{ line: 1, message: /varchar\(50\)/ }] },
  ],
});
