import { testRule } from '../testing/rule-tester.js';
import rule from './require-enum-value-ordering.js';

testRule(rule, {
  valid: [
    "ALTER TYPE status ADD VALUE 'paused' BEFORE 'archived';",
    "ALTER TYPE status ADD VALUE IF NOT EXISTS 'paused' AFTER 'active';",
    "ALTER TYPE status RENAME VALUE 'a' TO 'b';",
  ],
  invalid: [
    {
      sql: "ALTER TYPE app.status ADD VALUE 'paused';",
      errors: [{ line: 1, message: /app\.status ADD VALUE 'paused' appends/ }],
    },
  ],
});
