import { testRule } from '../testing/rule-tester.js';
import rule from './concurrent-index-pg14-corruption.js';

testRule(rule, {
  valid: [
    { name: 'concurrent build on PostgreSQL 15', sql: 'CREATE INDEX CONCURRENTLY i ON t (a);', transaction: 'none', pgMajor: 15 },
    { name: 'plain build on PostgreSQL 14', sql: 'CREATE INDEX i ON t (a);', pgMajor: 14 },
  ],
  invalid: [
    { sql: 'CREATE INDEX CONCURRENTLY i ON t (a);', transaction: 'none', pgMajor: 14, errors: [{ line: 1, message: /14\.0 to 14\.3/ }] },
    { sql: 'SELECT 1;\nREINDEX INDEX CONCURRENTLY i;', transaction: 'none', pgMajor: 14, errors: [{ line: 2 }] },
  ],
});
