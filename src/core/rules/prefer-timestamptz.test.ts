import { testRule } from '../testing/rule-tester.js';
import rule from './prefer-timestamptz.js';

testRule(rule, {
  valid: [
    'CREATE TABLE t (created_at timestamptz, d date, t time);',
    'ALTER TABLE t ADD COLUMN seen_at timestamp with time zone;',
    { name: 'a cast in a query is no column', sql: "SELECT '2020-01-01'::timestamp;" },
  ],
  invalid: [
    { sql: 'CREATE TABLE t (\n  id bigint,\n  created_at timestamp\n);', errors: [{ line: 1, message: /t\.created_at is timestamp without time zone/ }] },
    {
      sql: 'ALTER TABLE app.t ADD COLUMN a timestamp(3) without time zone, ALTER COLUMN b TYPE timestamp;',
      errors: [
        { line: 1, message: /t\.a/ },
        { line: 1, message: /t\.b/ },
      ],
    },
  ],
});
