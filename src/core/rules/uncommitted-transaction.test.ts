import { testRule } from '../testing/rule-tester.js';
import rule from './uncommitted-transaction.js';

testRule(rule, {
  valid: [
    { sql: 'BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;', transaction: 'none' },
    { name: 'END is COMMIT', sql: 'START TRANSACTION;\nCREATE TABLE t (a int);\nEND;', transaction: 'none' },
    { name: 'ROLLBACK closes the block too', sql: 'BEGIN;\nSELECT 1;\nROLLBACK;', transaction: 'none' },
    'CREATE TABLE t (a int);',
  ],
  invalid: [
    {
      sql: 'BEGIN;\nCREATE TABLE t (a int);',
      transaction: 'none',
      errors: [{ line: 1, message: /BEGIN has no COMMIT/ }],
    },
    {
      name: 'the second transaction of the file is left open',
      sql: 'BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT AND CHAIN;',
      transaction: 'none',
      errors: [{ line: 4 }],
    },
  ],
});
