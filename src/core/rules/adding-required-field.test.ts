import { testRule } from '../testing/rule-tester.js';
import rule from './adding-required-field.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users ADD COLUMN nickname text;',
    { name: 'NOT NULL with a constant default', sql: "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';" },
    { name: 'NOT NULL with a volatile default (another rule’s rewrite)', sql: 'ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();' },
    { name: 'bigserial fills existing rows', sql: 'ALTER TABLE users ADD COLUMN seq bigserial NOT NULL;' },
    { name: 'identity fills existing rows', sql: 'ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;' },
    { name: 'stored generated column fills existing rows', sql: 'ALTER TABLE users ADD COLUMN e text NOT NULL GENERATED ALWAYS AS (lower(email)) STORED;' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;' },
    { name: 'production statistics say the table is empty', sql: 'ALTER TABLE users ADD COLUMN b int NOT NULL;', sizes: { users: { rows: 0, bytes: 8192 } } },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;',
      errors: [{ line: 1, message: /NOT NULL column tenant_id without a default to users fails/ }],
    },
    { name: 'DEFAULT NULL is no default', sql: 'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT NULL;', errors: [{ line: 1 }] },
    {
      name: 'populated table per statistics',
      sql: 'ALTER TABLE app.users\n  ADD COLUMN a int,\n  ADD COLUMN b int NOT NULL REFERENCES tenants (id);',
      sizes: { users: { rows: 10, bytes: 8192 } },
      errors: [{ line: 1, message: /column b/ }],
    },
  ],
});
