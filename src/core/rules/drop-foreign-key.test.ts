import { testRule } from '../testing/rule-tester.js';
import rule from './drop-foreign-key.js';

testRule(rule, {
  valid: [
    'ALTER TABLE orders DROP CONSTRAINT orders_total_check;',
    'ALTER TABLE orders DROP CONSTRAINT orders_pkey;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (u int REFERENCES users);\nALTER TABLE t DROP CONSTRAINT t_u_fkey;' },
    {
      name: 'replaced by a later statement under the same name (Plume 2018-12-25-164502_media-cover-deletion)',
      sql: 'ALTER TABLE posts DROP CONSTRAINT posts_cover_id_fkey;\nALTER TABLE posts ADD CONSTRAINT posts_cover_id_fkey FOREIGN KEY (cover_id) REFERENCES medias(id) ON DELETE SET NULL;',
    },
    {
      name: 'replaced in the same ALTER TABLE (block/ftl 20241029015638_subscription_cursor)',
      sql: 'ALTER TABLE topic_subscriptions\nDROP CONSTRAINT topic_subscriptions_cursor_fkey,\nADD CONSTRAINT topic_subscriptions_cursor_fkey FOREIGN KEY (cursor) REFERENCES topic_events (id) ON DELETE RESTRICT;',
    },
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
      name: 'replaced by a check of the same name, not a foreign key',
      sql: 'ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\nALTER TABLE orders ADD CONSTRAINT orders_user_fk CHECK (user_id > 0);',
      errors: [{ line: 1 }],
    },
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
