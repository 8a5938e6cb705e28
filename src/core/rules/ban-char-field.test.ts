import { testRule } from '../testing/rule-tester.js';
import rule from './ban-char-field.js';

testRule(rule, {
  valid: [
    'CREATE TABLE t (code text CHECK (length(code) = 3), name varchar(10));',
    { name: 'the internal one-byte "char" type', sql: 'CREATE TABLE t (flag "char");' },
  ],
  invalid: [
    { sql: 'CREATE TABLE t (currency char(3));', errors: [{ line: 1, message: /t\.currency is char\(3\)/ }] },
    {
      sql: 'ALTER TABLE t ADD COLUMN a character(2), ADD COLUMN b char;',
      errors: [
        { line: 1, message: /char\(2\)/ },
        { line: 1, message: /t\.b is char\(1\)/ },
      ],
    },
  ],
});
