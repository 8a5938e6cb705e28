import { testRule } from '../testing/rule-tester.js';
import rule from './transaction-nesting.js';

testRule(rule, {
  valid: [
    { name: 'explicit transaction in a file the tool does not wrap', sql: 'BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;', transaction: 'none' },
    {
      name: 'golang-migrate: BEGIN turns the implicit transaction into an explicit one',
      sql: "SET lock_timeout = '1s';\nBEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
      layout: 'golang-migrate',
      transaction: 'single-query',
    },
    { name: 'two consecutive transactions', sql: 'BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;', transaction: 'none' },
    { name: 'COMMIT AND CHAIN keeps the block open', sql: 'BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;\nCOMMIT;', transaction: 'none' },
  ],
  invalid: [
    {
      name: 'BEGIN as the first statement of a file the tool wraps',
      sql: 'BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;',
      errors: [{ line: 1, messageId: 'blockInToolTransaction', message: /^BEGIN in a file/ }],
    },
    {
      name: 'nested BEGIN',
      sql: 'BEGIN;\nSELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;\nCOMMIT;',
      transaction: 'none',
      errors: [{ line: 3, messageId: 'nestedBegin', message: /opened on line 1/ }],
    },
    {
      name: 'BEGIN/COMMIT after a statement the tool runs in its transaction',
      sql: "SET lock_timeout = '1s';\nBEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
      errors: [{ line: 2, messageId: 'blockInToolTransaction', message: /^BEGIN in a file/ }],
    },
    {
      name: 'COMMIT without BEGIN in a wrapped file',
      sql: 'ALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON users (a);',
      layout: 'dbmate',
      errors: [{ line: 2, messageId: 'blockInToolTransaction', message: /^COMMIT in a file .* ends the tool's transaction early/ }],
    },
  ],
});
