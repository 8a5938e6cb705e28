import { testRule } from '../testing/rule-tester.js';
import rule from './require-concurrent-detach-partition.js';

testRule(rule, {
  valid: [
    { sql: 'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;', transaction: 'none' },
    { name: 'parent created earlier in the change', sql: 'CREATE TABLE e (d date) PARTITION BY RANGE (d);\nALTER TABLE e DETACH PARTITION e_2020;' },
    {
      name: 'before PostgreSQL 14 with lock_timeout: nothing more to do',
      sql: "SET lock_timeout = '3s';\nALTER TABLE events DETACH PARTITION events_2020;",
      pgMajor: 13,
    },
    { name: 'ATTACH PARTITION is another rule', sql: 'ALTER TABLE events ATTACH PARTITION events_2020 FOR VALUES IN (2020);' },
  ],
  invalid: [
    {
      name: 'outside a transaction: CONCURRENTLY is a drop-in replacement',
      sql: 'ALTER TABLE events DETACH PARTITION events_2020;',
      transaction: 'none',
      errors: [
        { line: 1, messageId: 'detachWithoutConcurrently', message: /DETACH PARTITION events_2020 without CONCURRENTLY takes ACCESS EXCLUSIVE on events/ },
      ],
      fix: 'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY; -- not possible if events has a DEFAULT partition',
    },
    {
      name: 'in a transaction: the fix is a recipe',
      sql: 'ALTER TABLE events DETACH PARTITION events_2020;',
      errors: [{ line: 1, messageId: 'detachWithoutConcurrently', message: /without CONCURRENTLY/ }],
    },
    {
      name: 'PostgreSQL 13: cannot be avoided, ask for lock_timeout',
      sql: 'ALTER TABLE events DETACH PARTITION events_2020;',
      pgMajor: 13,
      errors: [{ line: 1, messageId: 'noConcurrentDetach', message: /PostgreSQL 13 has no CONCURRENTLY \(14\+\)/ }],
      fix: "SET lock_timeout = '5s'; -- no CONCURRENTLY before PostgreSQL 14: keep the wait short and retry on timeout\nALTER TABLE events DETACH PARTITION events_2020;",
    },
  ],
});
