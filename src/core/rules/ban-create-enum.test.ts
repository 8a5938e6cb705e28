import { testRule } from '../testing/rule-tester.js';
import rule from './ban-create-enum.js';

testRule(rule, {
  valid: [
    'CREATE TABLE statuses (name text PRIMARY KEY, label text NOT NULL);',
    "ALTER TYPE status ADD VALUE 'paused' AFTER 'active';",
    'CREATE TYPE money_amount AS (currency char(3), cents bigint);',
  ],
  invalid: [
    {
      sql: "SELECT 1;\nCREATE TYPE app.status AS ENUM ('active', 'archived');",
      errors: [{ line: 2, message: /Enum type app\.status cannot lose values/ }],
    },
  ],
});
