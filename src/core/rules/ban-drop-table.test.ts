import { testRule } from '../testing/rule-tester.js';
import rule from './ban-drop-table.js';

testRule(rule, {
  valid: [
    'DROP INDEX users_email_idx;',
    'DROP VIEW active_users;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE tmp (a int);\nDROP TABLE tmp;' },
    { name: 'qualified drop of a table created unqualified', sql: 'CREATE TABLE tmp (a int);\nDROP TABLE IF EXISTS public.tmp;' },
  ],
  invalid: [
    {
      sql: 'DROP TABLE users;',
      errors: [{ line: 1, messageId: 'drop', message: /^DROP TABLE users destroys every row/ }],
    },
    {
      name: 'CASCADE drops dependents too',
      sql: 'SELECT 1;\nDROP TABLE IF EXISTS accounts CASCADE;',
      errors: [{ line: 2, messageId: 'dropCascade', message: /CASCADE also silently drops/ }],
    },
    {
      name: 'only the existing tables of a list are named',
      sql: 'CREATE TABLE tmp (a int);\nDROP TABLE tmp, public.orders;',
      errors: [{ line: 2, messageId: 'drop', message: /^DROP TABLE orders destroys/ }],
    },
  ],
});
