import { testRule } from '../testing/rule-tester.js';
import rule from './set-not-null.js';

testRule(rule, {
  valid: [
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;' },
    {
      name: 'NOT VALID check validated earlier in the file (PostgreSQL 12+)',
      sql: [
        'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;',
        'ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;',
        'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
        'ALTER TABLE users DROP CONSTRAINT users_email_nn;',
      ].join('\n'),
      transaction: 'none',
    },
    {
      name: 'valid check added earlier, as part of an AND',
      sql: "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL AND email <> '');\nALTER TABLE users ALTER email SET NOT NULL;",
    },
    { name: 'DROP NOT NULL is another rule’s business', sql: 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;' },
    {
      name: 'CHECK added NOT VALID and validated by earlier migrations of the change (PostgreSQL 12+)',
      before: ['ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID;', 'ALTER TABLE t VALIDATE CONSTRAINT t_a_nn;'],
      sql: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;',
      pgMajor: 12,
    },
    { name: 'table created by an earlier migration of the change', before: 'CREATE TABLE t (a int);', sql: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;' },
    {
      // vaultwarden 2024-01-12-210182_change_attachment_size: the rewrite checks NOT NULL, changing-column-type reports it.
      name: 'beside a type change that rewrites the table in the same statement',
      sql: 'ALTER TABLE attachments\nALTER COLUMN file_size TYPE BIGINT,\nALTER COLUMN file_size SET NOT NULL;',
    },
  ],
  invalid: [
    {
      name: 'beside a type change that may not rewrite (to text, from a type the rule cannot see)',
      sql: 'ALTER TABLE users ALTER COLUMN email TYPE text, ALTER COLUMN email SET NOT NULL;',
      errors: [{ line: 1 }],
    },
    {
      sql: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      errors: [{ line: 1, message: /users\.email scans the whole table.*ACCESS EXCLUSIVE/ }],
    },
    {
      name: 'NOT VALID check never validated',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      errors: [{ line: 2 }],
    },
    {
      name: 'check on another column',
      sql: 'ALTER TABLE users ADD CONSTRAINT c CHECK (name IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      errors: [{ line: 2 }],
    },
    {
      name: 'check on another table',
      sql: 'ALTER TABLE accounts ADD CONSTRAINT c CHECK (email IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      errors: [{ line: 2 }],
    },
    {
      name: 'validated check before PostgreSQL 12 does not skip the scan',
      sql: 'ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      pgMajor: 11,
      errors: [{ line: 2 }],
    },
    {
      name: 'CHECK of an earlier migration that is never validated',
      before: 'ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID;',
      sql: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;',
      errors: [{ line: 1 }],
    },
    {
      name: 'CHECK validated by earlier migrations, but PostgreSQL 11 scans anyway',
      before: ['ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID;', 'ALTER TABLE t VALIDATE CONSTRAINT t_a_nn;'],
      sql: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;',
      pgMajor: 11,
      errors: [{ line: 1 }],
    },
  ],
});
