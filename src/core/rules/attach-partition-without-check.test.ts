import { testRule } from '../testing/rule-tester.js';
import rule from './attach-partition-without-check.js';

testRule(rule, {
  valid: [
    {
      name: 'a valid CHECK added before',
      sql: "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (d >= '2024-01-01' AND d < '2025-01-01');\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    },
    {
      name: 'a NOT VALID CHECK validated before',
      sql: "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (d >= '2024-01-01') NOT VALID;\nALTER TABLE events_2024 VALIDATE CONSTRAINT b;\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    },
    {
      name: 'partition created earlier in the change',
      sql: "CREATE TABLE events_2024 (d date);\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    },
    { name: 'DETACH is another rule', sql: 'ALTER TABLE events DETACH PARTITION events_2020;' },
    {
      name: 'a NOT VALID CHECK validated by earlier migrations of the change',
      before: [
        "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (d >= '2024-01-01' AND d < '2025-01-01') NOT VALID;",
        'ALTER TABLE events_2024 VALIDATE CONSTRAINT b;',
      ],
      sql: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    },
    {
      name: 'partition created by an earlier migration of the change',
      before: 'CREATE TABLE events_2024 (d date);',
      sql: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    },
  ],
  invalid: [
    {
      sql: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      errors: [{ line: 1, message: /ATTACH PARTITION events_2024 scans the whole table under ACCESS EXCLUSIVE/ }],
    },
    {
      name: 'a NOT VALID CHECK that is never validated does not help',
      sql: "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (d >= '2024-01-01') NOT VALID;\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      errors: [{ line: 2 }],
    },
    {
      name: 'a CHECK on another table does not help',
      sql: "ALTER TABLE events_2023 ADD CONSTRAINT b CHECK (d >= '2023-01-01');\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES IN (2024);",
      errors: [{ line: 2, message: /events_2024/ }],
    },
    {
      name: 'a NOT VALID CHECK of an earlier migration that is never validated does not help',
      before: "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (d >= '2024-01-01') NOT VALID;",
      sql: "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
      errors: [{ line: 1 }],
    },
  ],
});
