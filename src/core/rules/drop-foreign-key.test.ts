import { testRule } from '../testing/rule-tester.js';
import rule from './drop-foreign-key.js';

testRule(rule, {
  valid: [
    'ALTER TABLE orders DROP CONSTRAINT orders_total_check;',
    'ALTER TABLE orders DROP CONSTRAINT orders_pkey;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (u int REFERENCES users);\nALTER TABLE t DROP CONSTRAINT t_u_fkey;' },
    {
      name: 'foreign key added earlier in the same file',
      sql: 'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users NOT VALID;\nALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
    },
    {
      name: 'foreign key added by an earlier migration of the change',
      before: 'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      sql: 'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
      errors: [{ line: 1, message: /foreign key orders_user_id_fkey on orders/ }],
    },
    {
      name: 'conventional names, IF EXISTS',
      sql: 'SELECT 1;\nALTER TABLE app.orders DROP CONSTRAINT IF EXISTS fk_orders_users, DROP CONSTRAINT orders_users_fk;',
      errors: [
        { line: 2, message: /fk_orders_users/ },
        { line: 2, message: /orders_users_fk/ },
      ],
    },
  ],
});
