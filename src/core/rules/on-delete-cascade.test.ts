import { testRule } from '../testing/rule-tester.js';
import rule from './on-delete-cascade.js';

testRule(rule, {
  valid: [
    'CREATE TABLE orders (id bigint, user_id bigint REFERENCES users ON DELETE RESTRICT);',
    'ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users ON DELETE SET NULL NOT VALID;',
    { name: 'ON UPDATE CASCADE changes keys, it deletes nothing', sql: 'CREATE TABLE orders (user_id bigint REFERENCES users ON UPDATE CASCADE);' },
  ],
  invalid: [
    {
      name: 'inline on a new table: reported, the behaviour outlives the migration',
      sql: 'CREATE TABLE orders (\n  id bigint,\n  user_id bigint REFERENCES users ON DELETE CASCADE\n);',
      errors: [{ line: 1, message: /one DELETE on users silently delete the matching rows of orders/ }],
    },
    {
      sql: 'SELECT 1;\nALTER TABLE app.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id) ON DELETE CASCADE NOT VALID;',
      errors: [{ line: 2, message: /on orders_user_fk/ }],
    },
  ],
});
