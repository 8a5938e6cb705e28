import { testRule } from '../testing/rule-tester.js';
import rule from './replica-identity-change.js';

testRule(rule, {
  valid: [
    'ALTER TABLE users ADD COLUMN nickname text;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (id int);\nALTER TABLE t REPLICA IDENTITY FULL;' },
  ],
  invalid: [
    {
      sql: 'ALTER TABLE users REPLICA IDENTITY FULL;',
      errors: [{ line: 1, message: /REPLICA IDENTITY FULL on users/ }],
    },
    {
      sql: 'SELECT 1;\nALTER TABLE app.orders REPLICA IDENTITY USING INDEX orders_uuid_key;',
      errors: [{ line: 2, message: /USING INDEX on orders/ }],
    },
  ],
});
