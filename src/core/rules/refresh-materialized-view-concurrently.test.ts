import { testRule } from '../testing/rule-tester.js';
import rule from './refresh-materialized-view-concurrently.js';

testRule(rule, {
  valid: [
    'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;',
    { name: 'WITH NO DATA only empties the view', sql: 'REFRESH MATERIALIZED VIEW daily_totals WITH NO DATA;' },
    { name: 'view created earlier in the change', sql: 'CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;\nREFRESH MATERIALIZED VIEW mv;' },
  ],
  invalid: [
    {
      sql: 'REFRESH MATERIALIZED VIEW daily_totals;',
      errors: [{ line: 1, message: /REFRESH MATERIALIZED VIEW daily_totals recomputes and rewrites it under ACCESS EXCLUSIVE/ }],
    },
    {
      sql: 'SELECT 1;\nREFRESH MATERIALIZED VIEW reporting.daily_totals WITH DATA;',
      errors: [{ line: 2, message: /daily_totals/ }],
    },
  ],
});
