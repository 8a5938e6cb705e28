import { testRule } from '../testing/rule-tester.js';
import rule from './ban-delete-without-where.js';

testRule(rule, {
  valid: [
    "DELETE FROM sessions WHERE created_at < now() - interval '90 days';",
    'DELETE FROM users WHERE id = 1;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nDELETE FROM t;' },
    { name: 'a CTE-free UPDATE is not a DELETE', sql: 'UPDATE users SET a = 1;' },
  ],
  invalid: [
    {
      sql: 'DELETE FROM sessions;',
      errors: [{ line: 1, message: /DELETE without WHERE removes every row of sessions/ }],
    },
    {
      name: 'WHERE true deletes every row too',
      sql: 'SELECT 1;\nDELETE FROM public.sessions WHERE true;',
      errors: [{ line: 2, message: /every row of sessions/ }],
    },
    {
      name: 'DELETE … USING without WHERE',
      sql: 'DELETE FROM orders USING users;',
      errors: [{ line: 1, message: /orders/ }],
    },
  ],
});
