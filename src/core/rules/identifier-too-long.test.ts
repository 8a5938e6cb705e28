import { testRule } from '../testing/rule-tester.js';
import rule from './identifier-too-long.js';

const long64 = 'a'.repeat(64);
const exactly63 = 'b'.repeat(63);

testRule(rule, {
  valid: [
    `CREATE TABLE ${exactly63} (id bigint);`,
    { name: 'long string literal and comment are not identifiers', sql: `-- ${long64}\nCOMMENT ON TABLE t IS '${long64}';` },
    { name: '63 bytes of multibyte characters', sql: `CREATE TABLE "${'é'.repeat(31)}x" (id bigint);` },
  ],
  invalid: [
    {
      sql: `CREATE TABLE t (id bigint);\nCREATE INDEX ${long64} ON t (id);`,
      errors: [{ line: 2, message: new RegExp(`is 64 bytes long; PostgreSQL silently truncates it to ${'a'.repeat(63)},`) }],
    },
    {
      name: 'quoted, multibyte, in ALTER TABLE',
      sql: `ALTER TABLE users ADD COLUMN "${'é'.repeat(32)}" text;`,
      errors: [{ line: 1, message: /64 bytes long/ }],
    },
    {
      name: 'unquoted identifiers are case-folded before counting',
      sql: `ALTER TABLE users RENAME COLUMN email TO ${'E'.repeat(70)};`,
      errors: [{ line: 1, message: new RegExp(`Identifier ${'e'.repeat(70)} is 70 bytes`) }],
    },
  ],
});
