import { readFileSync } from 'node:fs';
import { doBlockStatements } from './do-block.js';
import { parseScript, type ParsedStatement } from './parse.js';

async function statementsOf(sql: string): Promise<ParsedStatement[]> {
  const parsed = await parseScript({ sql, startLine: 10 });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.statements;
}

async function innerOf(sql: string): Promise<string[] | undefined> {
  const [statement] = await statementsOf(sql);
  return doBlockStatements(statement)?.map((s) => `${s.kind}: ${s.text.replace(/\s+/g, ' ')}`);
}

describe('doBlockStatements: the SQL a DO block runs, from its PL/pgSQL body', () => {
  it('reads every query and expression of a static body, conditions and assignments as SELECTs', async () => {
    const body = `DO $body$
DECLARE
  n int := (SELECT count(*) FROM team);
  r record;
BEGIN
  IF (SELECT count(*) FROM member) = 0 THEN
    INSERT INTO member (id) VALUES (1);
  END IF;
  n := n + (SELECT max(id) FROM org);
  FOR r IN SELECT id FROM badge LOOP
    UPDATE badge SET id = r.id;
  END LOOP;
  PERFORM pg_sleep(0);
  RAISE NOTICE 'done %', n;
EXCEPTION WHEN unique_violation THEN
  DELETE FROM audit;
END $body$;`;
    expect(await innerOf(body)).toEqual([
      'SelectStmt: SELECT (SELECT count(*) FROM team)',
      'SelectStmt: SELECT (SELECT count(*) FROM member) = 0',
      'InsertStmt: INSERT INTO member (id) VALUES (1)',
      'SelectStmt: SELECT n + (SELECT max(id) FROM org)',
      'UpdateStmt: UPDATE badge SET id = r.id',
      'SelectStmt: SELECT id FROM badge',
      'SelectStmt: SELECT pg_sleep(0)',
      'SelectStmt: SELECT n',
      'DeleteStmt: DELETE FROM audit',
    ]);
  });

  it("points the statements at the DO statement's lines", async () => {
    const [, block] = await statementsOf('SELECT 1;\nDO $$\nBEGIN\n  DELETE FROM audit;\nEND $$;');
    expect(doBlockStatements(block)).toEqual([expect.objectContaining({ kind: 'DeleteStmt', line: 11, endLine: 14 })]);
  });

  it('reads the Drizzle Kit pattern (ADD CONSTRAINT, duplicate_object ignored) of a real repository', async () => {
    // Dokploy's apps/dokploy/drizzle/0037_legal_namor.sql (Apache-2.0), see the fixture's README.
    const file = readFileSync(new URL('../../../test/fixtures/real-layouts/drizzle/drizzle/0037_legal_namor.sql', import.meta.url), 'utf8');
    const blocks = (await statementsOf(file.replaceAll('--> statement-breakpoint', ''))).filter((s) => s.kind === 'DoStmt');
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks) expect(doBlockStatements(block)?.map((s) => s.kind)).toEqual(['AlterTableStmt']);
  });

  it('gives up on a body whose SQL is known only when it runs, or that is not PL/pgSQL', async () => {
    expect(await innerOf(`DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'audit'; END $$;`)).toBeUndefined();
    expect(await innerOf(`DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP NULL; END LOOP; END $$;`)).toBeUndefined();
    expect(await innerOf(`DO $$ DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE 'SELECT 1'; END $$;`)).toBeUndefined();
    expect(await innerOf(`DO $$ DECLARE a int[]; BEGIN a[1] := 2; END $$;`)).toBeUndefined();
    expect(await innerOf(`DO LANGUAGE plperl $$ my $x = 1; $$;`)).toBeUndefined();
    expect(await innerOf(`DO $$ BEGIN THIS IS NOT PLPGSQL; END $$;`)).toBeUndefined();
    expect(await innerOf('SELECT 1;')).toBeUndefined();
  });
});
