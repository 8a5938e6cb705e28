import { testRule } from '../testing/rule-tester.js';
import rule from './validate-in-same-transaction.js';

const add = 'ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;';
const validate = 'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;';

testRule(rule, {
  valid: [
    { name: 'validation alone (a later migration)', sql: validate },
    { name: 'statements commit one by one', sql: `${add}\n${validate}`, transaction: 'none' },
    { name: 'COMMIT between them', sql: `BEGIN;\n${add}\nCOMMIT;\nBEGIN;\n${validate}\nCOMMIT;`, transaction: 'none' },
    { name: 'constraint added without NOT VALID (another rule)', sql: `ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);\n${validate}` },
    { name: 'same name on another table', sql: `ALTER TABLE other ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n${validate}` },
    { name: 'table created earlier in the change', sql: `CREATE TABLE orders (total int);\n${add}\n${validate}` },
    { name: 'added NOT VALID by an earlier migration of the change (its own transaction)', before: add, sql: validate },
  ],
  invalid: [
    {
      name: 'file run in a transaction',
      sql: `${add}\n${validate}`,
      errors: [{ line: 2, message: /orders_total_check on orders runs in the same transaction as its NOT VALID add on line 1.*ACCESS EXCLUSIVE/ }],
    },
    {
      name: 'foreign key inside an explicit BEGIN',
      sql: 'BEGIN;\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;\nCOMMIT;',
      transaction: 'none',
      errors: [{ line: 3, message: /SHARE ROW EXCLUSIVE/ }],
    },
    {
      name: 'golang-migrate sends both as one query string',
      sql: `${add}\n${validate}`,
      layout: 'golang-migrate',
      transaction: 'single-query',
      errors: [{ line: 2 }],
    },
    {
      name: 'same statement',
      sql: 'ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID, VALIDATE CONSTRAINT c;',
      transaction: 'none',
      errors: [{ line: 1, message: /in the same statement/ }],
    },
  ],
});
