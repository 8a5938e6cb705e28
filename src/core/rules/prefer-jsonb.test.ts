import { testRule } from '../testing/rule-tester.js';
import rule from './prefer-jsonb.js';

testRule(rule, {
  valid: [
    'CREATE TABLE events (id bigint, payload jsonb);',
    'ALTER TABLE events ADD COLUMN meta jsonb;',
    { name: 'a column merely named json', sql: 'ALTER TABLE events ADD COLUMN json text;' },
    { name: 'casting to json in a query is not a column type', sql: "SELECT '{}'::json;" },
  ],
  invalid: [
    {
      sql: 'CREATE TABLE events (\n  id bigint,\n  payload json\n);',
      errors: [{ line: 1, message: /events\.payload is json/ }],
    },
    {
      name: 'new tables are reported too: the type choice outlives the migration',
      sql: 'ALTER TABLE events ADD COLUMN meta json, ALTER COLUMN extra TYPE json[];',
      errors: [
        { line: 1, message: /events\.meta/ },
        { line: 1, message: /events\.extra/ },
      ],
    },
  ],
});
