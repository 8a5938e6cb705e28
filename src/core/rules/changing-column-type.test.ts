import { testRule } from '../testing/rule-tester.js';
import rule from './changing-column-type.js';

/** The column is added earlier in the file, so the rule knows its old type. */
const from = (type: string, to: string, using = ''): string => `ALTER TABLE users ADD COLUMN c ${type};\nALTER TABLE users ALTER COLUMN c TYPE ${to}${using};`;

testRule(rule, {
  valid: [
    { name: 'varchar widening', sql: from('varchar(100)', 'varchar(200)') },
    { name: 'varchar to text', sql: from('varchar(100)', 'text') },
    { name: 'varchar to unlimited varchar', sql: from('varchar(100)', 'varchar') },
    { name: 'text to unlimited varchar', sql: from('text', 'character varying') },
    { name: 'numeric precision up, same scale', sql: from('numeric(10, 2)', 'numeric(12, 2)') },
    { name: 'numeric to unconstrained numeric', sql: from('numeric(10, 2)', 'numeric') },
    { name: 'cidr to inet', sql: from('cidr', 'inet') },
    { name: 'bit varying widening', sql: from('bit varying(8)', 'varbit(16)') },
    { name: 'timestamp to timestamptz on PostgreSQL 12+', sql: from('timestamp', 'timestamptz') },
    { name: 'timestamptz to timestamp on PostgreSQL 12+', sql: from('timestamp with time zone', 'timestamp without time zone') },
    { name: 'USING a plain cast to the same type', sql: from('varchar(10)', 'varchar(20)', ' USING c::varchar(20)') },
    { name: 'old type unknown, target reachable without rewrite', sql: 'ALTER TABLE users ALTER COLUMN name TYPE text;' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (id int);\nALTER TABLE t ALTER COLUMN id TYPE bigint;' },
    {
      name: 'old type known from an earlier migration of the change: timestamp to timestamptz on PostgreSQL 12+',
      before: 'ALTER TABLE users ADD COLUMN c timestamp;',
      sql: 'ALTER TABLE users ALTER COLUMN c TYPE timestamptz;',
    },
  ],
  invalid: [
    {
      name: 'int to bigint on an existing table',
      sql: 'ALTER TABLE users ALTER COLUMN id TYPE bigint;',
      errors: [{ line: 1, message: /users\.id to int8 rewrites users.*no other type converts/ }],
    },
    { name: 'int4 to int8 with a known old type', sql: from('int', 'bigint'), errors: [{ line: 2, message: /int4 is not binary-coercible to int8/ }] },
    { name: 'varchar narrowing', sql: from('varchar(200)', 'varchar(100)'), errors: [{ line: 2, message: /narrows/ }] },
    { name: 'text to varchar(n)', sql: from('text', 'varchar(50)'), errors: [{ line: 2, message: /limits the length/ }] },
    { name: 'char to text', sql: from('char(10)', 'text'), errors: [{ line: 2 }] },
    { name: 'numeric scale change', sql: from('numeric(10, 2)', 'numeric(12, 3)'), errors: [{ line: 2, message: /precision or scale/ }] },
    { name: 'numeric precision down', sql: from('numeric(10, 2)', 'numeric(8, 2)'), errors: [{ line: 2 }] },
    {
      name: 'timestamp to timestamptz before PostgreSQL 12',
      sql: from('timestamp', 'timestamptz'),
      pgMajor: 11,
      errors: [{ line: 2, message: /before PostgreSQL 12/ }],
    },
    { name: 'timestamp precision down', sql: from('timestamp(6)', 'timestamp(0)'), errors: [{ line: 2 }] },
    { name: 'arrays convert every element', sql: from('varchar(10)[]', 'text[]'), errors: [{ line: 2 }] },
    {
      name: 'USING computes new values',
      sql: 'ALTER TABLE users ALTER COLUMN name TYPE text USING lower(name);',
      errors: [{ line: 1, message: /USING expression/ }],
    },
    {
      name: 'USING a cast to a different type than the target',
      sql: 'ALTER TABLE users ALTER COLUMN name TYPE varchar(20) USING name::varchar(10);',
      errors: [{ line: 1 }],
    },
    {
      name: 'one finding per converted column',
      sql: 'ALTER TABLE orders\n  ALTER COLUMN id TYPE bigint,\n  ALTER COLUMN note TYPE text,\n  ALTER COLUMN total TYPE int8 USING total::int8;',
      errors: [
        { line: 1, message: /orders\.id/ },
        { line: 1, message: /orders\.total/ },
      ],
    },
    {
      name: 'old type known from an earlier migration of the change: varchar narrowing',
      before: 'ALTER TABLE users ADD COLUMN c varchar(200);',
      sql: 'ALTER TABLE users ALTER COLUMN c TYPE varchar(100);',
      errors: [{ line: 1, message: /narrows/ }],
    },
  ],
});
