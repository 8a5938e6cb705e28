import { testRule } from '../testing/rule-tester.js';
import { lintWith } from '../testing/rule-tester.js';
import rule from './foreign-key-missing-not-valid.js';

testRule(rule, {
  valid: [
    'ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    { name: 'VALIDATE takes SHARE UPDATE EXCLUSIVE', sql: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fkey;' },
    {
      name: 'table created earlier in the change',
      sql: 'CREATE TABLE t (user_id int);\nALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE t ADD COLUMN b int REFERENCES users (id);',
    },
    { name: 'CREATE TABLE with REFERENCES is a new table', sql: 'CREATE TABLE t (user_id int REFERENCES users (id));' },
    { name: 'CHECK constraints are another rule’s business', sql: 'ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0);' },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id);',
      errors: [{ line: 1, message: /foreign key orders_user_fkey from orders to users takes SHARE ROW EXCLUSIVE/ }],
      fix: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- in a later migration (its own transaction): ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fkey;',
    },
    {
      name: 'ADD COLUMN … REFERENCES',
      sql: 'ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id) ON DELETE CASCADE;',
      errors: [{ line: 1, message: /column user_id with a foreign key from orders to users/ }],
    },
    {
      name: 'unnamed foreign key',
      sql: 'ALTER TABLE app.orders\n  ADD FOREIGN KEY (user_id) REFERENCES app.users (id);',
      errors: [{ line: 1, message: /app\.orders to app\.users/ }],
    },
  ],
});

describe('foreign-key-missing-not-valid recipes', () => {
  it('moves an inline REFERENCES into its own NOT VALID constraint', async () => {
    const [f] = await lintWith(rule, { sql: 'ALTER TABLE orders ADD COLUMN user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFAULT 0;' });
    expect(f.fix).toContain('ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;');
    expect(f.fix).toContain('VALIDATE CONSTRAINT orders_user_id_fkey');
  });

  it('names an unnamed foreign key', async () => {
    const [f] = await lintWith(rule, { sql: 'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);' });
    expect(f.fix).toContain('ALTER TABLE orders ADD CONSTRAINT orders_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;');
  });
});
