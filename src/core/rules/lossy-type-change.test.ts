import { testRule } from '../testing/rule-tester.js';
import rule from './lossy-type-change.js';

/** The column is added earlier in the file, so the rule knows its old type. */
const from = (type: string, to: string, using = ''): string => `ALTER TABLE users ADD COLUMN c ${type};\nALTER TABLE users ALTER COLUMN c TYPE ${to}${using};`;

testRule(rule, {
  valid: [
    { name: 'int widening', sql: from('int', 'bigint') },
    { name: 'int narrowing fails loudly on values that do not fit', sql: from('bigint', 'int') },
    { name: 'varchar narrowing without USING fails loudly', sql: from('varchar(200)', 'varchar(10)') },
    { name: 'numeric scale up', sql: from('numeric(10, 2)', 'numeric(12, 3)') },
    { name: 'timestamp to timestamptz', sql: from('timestamp', 'timestamptz') },
    { name: 'USING a plain column', sql: 'ALTER TABLE users ALTER COLUMN name TYPE text USING name;' },
    { name: 'old type unknown and no USING: the drill decides', sql: 'ALTER TABLE users ALTER COLUMN seen_at TYPE date;' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (at timestamptz);\nALTER TABLE t ALTER COLUMN at TYPE date;' },
  ],
  invalid: [
    {
      name: 'timestamptz to date',
      sql: from('timestamptz', 'date'),
      errors: [{ line: 2, message: /users\.c to date loses data without an error: the time of day/ }],
    },
    { name: 'timestamp to time', sql: from('timestamp', 'time'), errors: [{ line: 2, message: /the date of every value is dropped/ }] },
    { name: 'numeric to integer', sql: from('numeric(10, 2)', 'integer'), errors: [{ line: 2, message: /fractions are rounded away/ }] },
    { name: 'float8 to float4', sql: from('double precision', 'real'), errors: [{ line: 2, message: /sixth significant/ }] },
    { name: 'numeric scale down', sql: from('numeric(12, 4)', 'numeric(12, 2)'), errors: [{ line: 2, message: /past scale 2/ }] },
    { name: 'unconstrained numeric to numeric(p)', sql: from('numeric', 'numeric(10)'), errors: [{ line: 2, message: /past scale 0/ }] },
    { name: 'timestamp precision down', sql: from('timestamp(6)', 'timestamp(0)'), errors: [{ line: 2, message: /fractional seconds/ }] },
    {
      name: 'explicit varchar(n) cast in USING truncates',
      sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(3) USING name::varchar(3);',
      errors: [{ line: 1, message: /explicit cast to varchar\(3\) in USING truncates longer values/ }],
    },
    {
      name: 'substr in USING, old type unknown',
      sql: 'ALTER TABLE orders ALTER COLUMN total TYPE varchar(3) USING substr(total::text, 1, 3);',
      errors: [{ line: 1, message: /substr\(\) in USING cuts or rounds values/ }],
    },
    {
      name: 'old type known from an earlier migration of the change',
      before: 'ALTER TABLE users ADD COLUMN c timestamptz;',
      sql: 'ALTER TABLE users ALTER COLUMN c TYPE date;',
      errors: [{ line: 1, message: /time of day/ }],
    },
  ],
});
