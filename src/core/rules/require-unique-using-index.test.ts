import { testRule } from '../testing/rule-tester.js';
import rule from './require-unique-using-index.js';

testRule(rule, {
  valid: [
    { name: 'USING INDEX over an index built concurrently', sql: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;' },
    { name: 'PRIMARY KEY USING INDEX', sql: 'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;' },
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (id int, code text);\nALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE (code);' },
    { name: 'other constraints', sql: 'ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age > 0) NOT VALID;' },
  ],
  invalid: [
    {
      name: 'ADD UNIQUE builds its index under ACCESS EXCLUSIVE',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      errors: [{ line: 1, message: /ADD UNIQUE on users builds its unique index while holding ACCESS EXCLUSIVE/ }],
    },
    {
      name: 'ADD PRIMARY KEY, unnamed',
      sql: 'ALTER TABLE events ADD PRIMARY KEY (id);',
      errors: [{ line: 1, message: /ADD PRIMARY KEY on events/ }],
    },
    {
      name: 'schema-qualified, several columns',
      before: 'SELECT 1;',
      sql: 'ALTER TABLE app.memberships ADD CONSTRAINT memberships_uq UNIQUE (org_id, user_id);',
      errors: [{ line: 1, message: /memberships/ }],
    },
  ],
});
