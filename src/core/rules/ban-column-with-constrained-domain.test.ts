import { testRule } from '../testing/rule-tester.js';
import rule from './ban-column-with-constrained-domain.js';

testRule(rule, {
  valid: [
    { name: 'domain without constraints', sql: 'CREATE DOMAIN email AS text;\nALTER TABLE users ADD COLUMN contact email;' },
    { name: 'domain unknown to the file', sql: 'ALTER TABLE users ADD COLUMN amount positive_int;' },
    {
      name: 'table created earlier in the change',
      sql: 'CREATE DOMAIN pos AS int CHECK (VALUE > 0);\nCREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN n pos;',
    },
    { name: 'array of the domain', sql: 'CREATE DOMAIN pos AS int CHECK (VALUE > 0);\nALTER TABLE users ADD COLUMN ns pos[];' },
    { name: 'domain created after the column', sql: 'ALTER TABLE users ADD COLUMN n pos;\nCREATE DOMAIN pos AS int CHECK (VALUE > 0);' },
    {
      name: 'constrained domain of an earlier migration, table created earlier in the change',
      before: ['CREATE DOMAIN pos AS int CHECK (VALUE > 0);', 'CREATE TABLE t (a int);'],
      sql: 'ALTER TABLE t ADD COLUMN n pos;',
    },
    {
      name: 'domain without constraints created by an earlier migration',
      before: 'CREATE DOMAIN email AS text;',
      sql: 'ALTER TABLE users ADD COLUMN contact email;',
    },
  ],
  invalid: [
    {
      sql: 'CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);\nALTER TABLE orders ADD COLUMN quantity positive_int;',
      errors: [{ line: 2, message: /column quantity of the constrained domain positive_int to orders rewrites/ }],
    },
    {
      name: 'NOT NULL domain, schema-qualified',
      sql: 'CREATE DOMAIN app.code AS varchar(8) NOT NULL;\nALTER TABLE app.items ADD COLUMN code app.code;',
      errors: [{ line: 2, message: /app\.code to app\.items/ }],
    },
    {
      name: 'constraint added with ALTER DOMAIN',
      sql: "CREATE DOMAIN email AS text;\nALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%');\nALTER TABLE users ADD COLUMN contact email;",
      errors: [{ line: 3 }],
    },
    {
      name: 'domain created by an earlier migration of the change',
      before: 'CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);',
      sql: 'ALTER TABLE orders ADD COLUMN quantity positive_int;',
      errors: [{ line: 1, message: /constrained domain positive_int/ }],
    },
  ],
});
