import { testRule } from '../testing/rule-tester.js';
import rule from './authorization-change.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users ADD COLUMN nickname text;',
    {
      name: 'RLS, policies and grants on a table created earlier in the change',
      sql: [
        'CREATE TABLE notes (owner text, body text);',
        'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;',
        'CREATE POLICY own ON notes USING (owner = current_user);',
        'ALTER POLICY own ON notes USING (true);',
        'DROP POLICY own ON notes;',
        'GRANT SELECT, INSERT ON notes TO app;',
      ].join('\n'),
    },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;',
      errors: [{ line: 1, messageId: 'rowSecurity', message: /^ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY on users/ }],
    },
    {
      sql: "CREATE POLICY tenant ON app.users USING (tenant_id = current_setting('app.tenant')::bigint);\nALTER POLICY tenant ON app.users TO app;\nDROP POLICY IF EXISTS tenant ON app.users;",
      errors: [
        { line: 1, messageId: 'policy', message: /Creating policy tenant on users/ },
        { line: 2, messageId: 'policy', message: /Altering policy tenant/ },
        { line: 3, messageId: 'dropPolicy', message: /Dropping policy tenant on users/ },
      ],
    },
    {
      name: 'grants and revokes, also on schemas and roles',
      sql: 'GRANT SELECT ON users TO analyst;\nREVOKE ALL ON SCHEMA app FROM public;\nGRANT admin TO alice;',
      errors: [
        { line: 1, messageId: 'grant', message: /^GRANT on users .* exposed/ },
        { line: 2, messageId: 'grant', message: /^REVOKE changes .* permission denied/ },
        { line: 3, messageId: 'grantRole', message: /role membership/ },
      ],
    },
    {
      name: 'a grant naming an existing table next to a new one',
      sql: 'CREATE TABLE notes (a int);\nGRANT SELECT ON notes, users TO app;',
      errors: [{ line: 2, messageId: 'grant', message: /on notes, users/ }],
    },
  ],
});
