import { testRule } from '../testing/rule-tester.js';
import rule from './foreign-key-without-index.js';

testRule(rule, {
  valid: [
    {
      name: 'index created after the table',
      sql: 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX orders_user_id_idx ON orders (user_id);',
    },
    {
      name: 'index created before the constraint',
      sql: 'CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;',
    },
    { name: 'the referencing column is the primary key', sql: 'CREATE TABLE profiles (user_id bigint PRIMARY KEY REFERENCES users);' },
    {
      name: 'leading columns of a composite unique constraint, in another order',
      sql: 'CREATE TABLE m (a int, b int, c int, UNIQUE (b, a, c), FOREIGN KEY (a, b) REFERENCES p (x, y));',
    },
    {
      name: 'ALTER TABLE … ADD PRIMARY KEY covers it',
      sql: 'ALTER TABLE members ADD COLUMN team_id bigint REFERENCES teams;\nALTER TABLE members ADD PRIMARY KEY (team_id, user_id);',
    },
    'CREATE TABLE t (a int PRIMARY KEY);',
    {
      name: 'index created by an earlier migration of the change',
      before: 'CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);',
      sql: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    },
    {
      name: 'primary key of a table created by an earlier migration of the change',
      before: 'CREATE TABLE profiles (user_id bigint PRIMARY KEY);',
      sql: 'ALTER TABLE profiles ADD CONSTRAINT profiles_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
    },
  ],
  invalid: [
    {
      sql: 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);',
      errors: [{ line: 1, message: /The foreign key orders\(user_id\) → users has no index on orders\(user_id\) in this change/ }],
    },
    {
      name: 'ALTER TABLE … ADD FOREIGN KEY on an existing table',
      sql: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      errors: [{ line: 1, message: /every DELETE from users/ }],
    },
    {
      name: 'an index whose leading column is another one does not help',
      sql: 'CREATE TABLE o (a int, b int REFERENCES p);\nCREATE INDEX o_a_b_idx ON o (a, b);',
      errors: [{ line: 1, message: /o\(b\)/ }],
    },
    {
      name: 'an expression index does not count',
      sql: 'ALTER TABLE o ADD COLUMN email text REFERENCES accounts (email);\nCREATE INDEX o_email_idx ON o (lower(email));',
      errors: [{ line: 1, message: /o\(email\) → accounts/ }],
    },
    {
      name: 'an index of an earlier migration on other columns does not help',
      before: 'CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);',
      sql: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      errors: [{ line: 1 }],
    },
  ],
});
