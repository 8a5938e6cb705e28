import { parseScript } from '../sql/parse.js';
import { draftReverse, ident } from './draft.js';

async function draft(sql: string) {
  const parsed = await parseScript({ sql, startLine: 1 });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return draftReverse(parsed.statements);
}

describe('draftReverse', () => {
  it.each([
    ['ADD COLUMN', 'ALTER TABLE orders ADD COLUMN note text;', 'ALTER TABLE orders DROP COLUMN note;\n'],
    ['CREATE TABLE', 'CREATE TABLE app.tags (id int);', 'DROP TABLE app.tags;\n'],
    ['CREATE INDEX', 'CREATE INDEX orders_code_idx ON orders (code);', 'DROP INDEX orders_code_idx;\n'],
    ['CREATE INDEX CONCURRENTLY', 'CREATE INDEX CONCURRENTLY orders_code_idx ON app.orders (code);', 'DROP INDEX CONCURRENTLY app.orders_code_idx;\n'],
    ['ADD CONSTRAINT', 'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;', 'ALTER TABLE orders DROP CONSTRAINT total_positive;\n'],
    ['RENAME COLUMN', 'ALTER TABLE users RENAME COLUMN note TO memo;', 'ALTER TABLE users RENAME COLUMN memo TO note;\n'],
    ['RENAME TABLE', 'ALTER TABLE app.users RENAME TO people;', 'ALTER TABLE app.people RENAME TO users;\n'],
    ['RENAME INDEX', 'ALTER INDEX a_idx RENAME TO b_idx;', 'ALTER INDEX b_idx RENAME TO a_idx;\n'],
    ['RENAME CONSTRAINT', 'ALTER TABLE t RENAME CONSTRAINT c1 TO c2;', 'ALTER TABLE t RENAME CONSTRAINT c2 TO c1;\n'],
    ['SET DEFAULT', "ALTER TABLE orders ALTER COLUMN code SET DEFAULT 'x';", 'ALTER TABLE orders ALTER COLUMN code DROP DEFAULT;\n'],
    ['SET NOT NULL', 'ALTER TABLE orders ALTER COLUMN code SET NOT NULL;', 'ALTER TABLE orders ALTER COLUMN code DROP NOT NULL;\n'],
    ['DROP NOT NULL', 'ALTER TABLE orders ALTER COLUMN code DROP NOT NULL;', 'ALTER TABLE orders ALTER COLUMN code SET NOT NULL;\n'],
    [
      'enum, view, sequence, extension',
      "CREATE TYPE mood AS ENUM ('a');\nCREATE VIEW v AS SELECT 1;\nCREATE SEQUENCE s;\nCREATE EXTENSION pgcrypto;",
      'DROP EXTENSION pgcrypto;\nDROP SEQUENCE s;\nDROP VIEW v;\nDROP TYPE mood;\n',
    ],
  ])('reverses %s', async (_name, forward, reverse) => {
    expect(await draft(forward)).toEqual({ ok: true, sql: reverse });
  });

  it('undoes statements newest first and the actions of one ALTER TABLE in reverse order', async () => {
    const result = await draft('ALTER TABLE orders ADD COLUMN a int, ADD COLUMN b int;\nCREATE INDEX orders_a_idx ON orders (a);');
    expect(result).toEqual({ ok: true, sql: 'DROP INDEX orders_a_idx;\nALTER TABLE orders DROP COLUMN b, DROP COLUMN a;\n' });
  });

  it('keeps lock_timeout and the transaction of the forward', async () => {
    const result = await draft("BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;");
    expect(result).toEqual({ ok: true, sql: "BEGIN;\nSET lock_timeout = '2s';\nALTER TABLE orders DROP COLUMN note;\nCOMMIT;\n" });
  });

  it('drops only the table for a table created with its indexes, columns and comments', async () => {
    const result = await draft(
      "CREATE TABLE tags (id int);\nCREATE INDEX tags_id_idx ON tags (id);\nALTER TABLE tags ADD COLUMN name text;\nCOMMENT ON TABLE tags IS 'x';",
    );
    expect(result).toEqual({ ok: true, sql: 'DROP TABLE tags;\n' });
  });

  it('quotes identifiers that need it', async () => {
    expect(await draft('ALTER TABLE "Order" ADD COLUMN "user" text;')).toEqual({ ok: true, sql: 'ALTER TABLE "Order" DROP COLUMN "user";\n' });
    expect(ident('plain_name')).toBe('plain_name');
    expect(ident('has"quote')).toBe('"has""quote"');
  });

  it.each([
    ['DROP COLUMN', 'ALTER TABLE orders DROP COLUMN code;'],
    ['DROP DEFAULT', 'ALTER TABLE orders ALTER COLUMN code DROP DEFAULT;'],
    ['an unnamed constraint', 'ALTER TABLE orders ADD CHECK (total > 0);'],
    ['a type change', 'ALTER TABLE orders ALTER COLUMN code TYPE varchar(10);'],
    ['an UPDATE', "UPDATE orders SET code = 'x';"],
    ['a comment on an existing table', "COMMENT ON TABLE orders IS 'x';"],
  ])('does not draft %s, saying which line', async (_name, forward) => {
    expect(await draft(`-- change\n${forward}`)).toEqual({ ok: false, reason: expect.stringMatching(/^line 2: no common-DDL reverse for /) });
  });
});
