import { testRule } from '../testing/rule-tester.js';
import rule from './ban-vacuum-full-and-cluster.js';

testRule(rule, {
  valid: [
    { sql: 'VACUUM users;', transaction: 'none' },
    { sql: 'VACUUM (ANALYZE) users;', transaction: 'none' },
    { name: 'FULL turned off', sql: 'VACUUM (FULL false) users;', transaction: 'none' },
    'ANALYZE users;',
    { name: 'table created earlier in the change', sql: 'CREATE TABLE t (a int);\nCLUSTER t USING t_pkey;\nVACUUM FULL t;', transaction: 'none' },
  ],
  invalid: [
    {
      sql: 'VACUUM FULL users;',
      transaction: 'none',
      errors: [{ line: 1, message: /VACUUM FULL rewrites users under ACCESS EXCLUSIVE/ }],
    },
    {
      sql: 'VACUUM (FULL, ANALYZE) users, orders;',
      transaction: 'none',
      errors: [{ line: 1, message: /rewrites users, orders/ }],
    },
    {
      name: 'VACUUM FULL without a table rewrites the whole database',
      sql: 'VACUUM FULL;',
      transaction: 'none',
      errors: [{ line: 1, message: /every table of the database/ }],
    },
    {
      sql: 'CLUSTER users USING users_created_at_idx;',
      errors: [{ line: 1, message: /CLUSTER rewrites users/ }],
    },
    {
      name: 'CLUSTER without a table re-clusters every clustered table',
      sql: 'CLUSTER;',
      transaction: 'none',
      errors: [{ line: 1, message: /every previously clustered table/ }],
    },
  ],
});
