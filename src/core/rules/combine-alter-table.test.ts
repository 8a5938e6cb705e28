import { testRule } from '../testing/rule-tester.js';
import rule from './combine-alter-table.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int;',
    'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN a int;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE t ADD COLUMN c int;' },
    {
      name: 'VALIDATE CONSTRAINT is separate on purpose',
      sql: 'ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;',
    },
    {
      name: 'a statement using the table in between',
      sql: "ALTER TABLE users ADD COLUMN status text;\nUPDATE users SET status = 'new' WHERE id < 100;\nALTER TABLE users ALTER COLUMN status SET DEFAULT 'new';",
    },
    { name: 'a COMMIT in between', sql: 'BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nALTER TABLE users ADD COLUMN b int;', transaction: 'none' },
    { name: 'ATTACH PARTITION cannot be combined', sql: 'ALTER TABLE events ADD COLUMN a int;\nALTER TABLE events ATTACH PARTITION e1 FOR VALUES IN (1);' },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;\nCREATE TABLE t (x int);\nALTER TABLE ONLY public.users ALTER COLUMN c SET DEFAULT 0;',
      errors: [{ line: 2, message: /3 ALTER TABLE statements on users \(lines 1, 2, 4\)/ }],
    },
    {
      name: 'two groups separated by a statement that uses the table',
      sql: 'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;\nUPDATE users SET a = 1 WHERE id = 1;\nALTER TABLE users DROP COLUMN c;\nALTER TABLE users DROP COLUMN d;',
      errors: [
        { line: 2, message: /lines 1, 2\)/ },
        { line: 5, message: /lines 4, 5\)/ },
      ],
    },
  ],
});
