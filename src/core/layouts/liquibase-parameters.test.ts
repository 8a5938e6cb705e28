import { ChangeLogParameters, readProperties } from './liquibase-parameters.js';

const postgresOnly = (dbms: string | undefined) => dbms === undefined || dbms.split(',').some((d) => d.trim() === 'postgresql');

/** The parameters of Liquibase's own ExpressionExpanderTest, defined as its test sets them. */
function liquibaseTestParameters(): ChangeLogParameters {
  const p = new ChangeLogParameters({}, postgresOnly);
  const define = (name: string, value: string) => p.define({ name, value, global: true }, ['master.xml']);
  define('param1', 'value1');
  define('param2', 'value2');
  define('param.value', 'dot value');
  define('value1', 'nested value1');
  define('nested.value.valid', 'a param with param1=${param1}');
  define('double.nested.value.valid', 'double ${nested.value.valid}');
  define('double.nested.value.invalid', 'double ${nested.value.invalid}');
  return p;
}

describe('Liquibase changelog parameters', () => {
  // Cases of ExpressionExpanderTest (liquibase-standard) in its default mode, missingPropertyMode preserve.
  it.each([
    ['A Simple String', 'A Simple String', []],
    ['With { brackets } in it', 'With { brackets } in it', []],
    ['With ${ unmatched', 'With ${ unmatched', []],
    ['A string with two expressions ${param1} and ${param2} set', 'A string with two expressions value1 and value2 set', []],
    ['A string no expressions ${notset} or ${  noset } set', 'A string no expressions ${notset} or ${  noset } set', ['notset', 'noset']],
    ['${${param1}}', 'nested value1', []],
    ["valid '${double.nested.value.valid}' double nested", "valid 'double a param with param1=value1' double nested", []],
    ["invalid '${double.nested.value.invalid}' double nested", "invalid 'double ${nested.value.invalid}' double nested", ['nested.value.invalid']],
    ['test $$ here', 'test $$ here', []],
    ['test $1.30 here $', 'test $1.30 here $', []],
    ['ending ${', 'ending ${', []],
  ])('expands %j as Liquibase does', (input, text, missing) => {
    expect(liquibaseTestParameters().expand(input, ['master.xml'])).toEqual({ text, missing });
  });

  it('lets the deployment win, then the first global definition, then the nearest local one, the last in its file', () => {
    const p = new ChangeLogParameters({ Schema: 'from_deploy' }, postgresOnly);
    p.define({ name: 'schema', value: 'from_changelog', global: true }, ['master.xml']);
    p.define({ name: 'tbl', value: 'first', global: true }, ['master.xml']);
    p.define({ name: 'tbl', value: 'second', global: true }, ['master.xml']);
    p.define({ name: 'col', value: 'master', global: false }, ['master.xml']);
    p.define({ name: 'col', value: 'child', global: false }, ['master.xml', 'child.xml']);
    p.define({ name: 'col', value: 'child again', global: false }, ['master.xml', 'child.xml']);
    const text = 'SELECT ${col} FROM ${SCHEMA}.${tbl}';
    expect(p.expand(text, ['master.xml']).text).toBe('SELECT master FROM from_deploy.first');
    expect(p.expand(text, ['master.xml', 'child.xml']).text).toBe('SELECT child again FROM from_deploy.first');
    // A local definition is not seen by a sibling changelog.
    expect(p.expand(text, ['master.xml', 'sibling.xml']).text).toBe('SELECT master FROM from_deploy.first');
  });

  it('skips definitions for other databases, so the PostgreSQL one wins even when written later', () => {
    const p = new ChangeLogParameters({}, postgresOnly);
    p.define({ name: 'now', value: 'sysdate', global: true, dbms: 'oracle' }, ['m.xml']);
    p.define({ name: 'now', value: 'current_timestamp', global: true, dbms: 'postgresql' }, ['m.xml']);
    expect(p.expand('DEFAULT ${now}', ['m.xml']).text).toBe('DEFAULT current_timestamp');
  });

  it("knows the connection's database.* parameters on the shadow", () => {
    const p = new ChangeLogParameters({}, postgresOnly);
    expect(p.expand('CREATE TABLE ${database.defaultSchemaName}.wallet ()', ['m.sql']).text).toBe('CREATE TABLE public.wallet ()');
  });

  it('reads a properties file as java.util.Properties does', () => {
    const file = '# comment\n! also a comment\nschema = app\nowner:admin\nlong = one \\\n    two\n  spaced\\ key = v\n';
    expect(readProperties(file)).toEqual([
      { name: 'schema', value: 'app' },
      { name: 'owner', value: 'admin' },
      { name: 'long', value: 'one two' },
      { name: 'spaced key', value: 'v' },
    ]);
  });
});
