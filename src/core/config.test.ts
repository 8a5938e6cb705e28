import { DEFAULT_CONFIG, parseConfig, parseDuration, parseSize } from './config.js';

describe('parseConfig', () => {
  it('reads layout, path and shadow settings', () => {
    const config = parseConfig(
      'migrations:\n  layout: goose\n  path: db/migrations\nshadow:\n  setup: |\n    CREATE TABLE goose_db_version (id int);\n  seedRows: 20\n  statementTimeout: 30s\n  timeout: 2m\n',
    );
    expect(config).toEqual({
      ...DEFAULT_CONFIG,
      migrations: { layout: 'goose', path: 'db/migrations', maxFileSize: 5 * 1024 * 1024 },
      shadow: { ...DEFAULT_CONFIG.shadow, setup: 'CREATE TABLE goose_db_version (id int);\n', seedRows: 20, statementTimeoutMs: 30_000, timeoutMs: 120_000 },
    });
  });

  it('reads migrations.changelog, the Liquibase master changelog', () => {
    expect(parseConfig('migrations:\n  changelog: db/changelog/db.changelog-master.yaml\n').migrations.changelog).toBe('db/changelog/db.changelog-master.yaml');
    expect(() => parseConfig('migrations:\n  changelog: [a]\n')).toThrow(/:2: migrations\.changelog/);
  });

  it('reads migrations.parameters, the Liquibase changelog parameters of the deployment, as text', () => {
    expect(parseConfig('migrations:\n  parameters:\n    tenant_id: diku\n    version: 7\n').migrations.parameters).toEqual({ tenant_id: 'diku', version: '7' });
    expect(() => parseConfig('migrations:\n  parameters: diku\n')).toThrow(/:2: migrations\.parameters must be a mapping/);
    expect(() => parseConfig('migrations:\n  parameters:\n    tenant_id: [a]\n')).toThrow(/:3: migrations\.parameters\.tenant_id must be a single value/);
  });

  it('reads the drill caps as sizes, 1 GiB each by default', () => {
    expect(DEFAULT_CONFIG.shadow).toMatchObject({ maxDatabaseSize: 1024 ** 3, maxTempFiles: 1024 ** 3, maxBackendMemory: 1024 ** 3 });
    const config = parseConfig('shadow:\n  maxDatabaseSize: 2GiB\n  maxTempFiles: 512MB\n  maxBackendMemory: 1.5 GB\n');
    expect(config.shadow).toMatchObject({ maxDatabaseSize: 2 * 1024 ** 3, maxTempFiles: 512 * 1024 ** 2, maxBackendMemory: 1.5 * 1024 ** 3 });
    expect(() => parseConfig('shadow:\n  maxTempFiles: lots\n')).toThrow(/:2: shadow\.maxTempFiles must be a size of at least 1MB/);
    expect(() => parseConfig('shadow:\n  maxDatabaseSize: 10kB\n')).toThrow(/:2: shadow\.maxDatabaseSize must be a size/);
  });

  it('reads shadow.historyPrivileges: owner by default, superuser where production migrates as one', () => {
    expect(DEFAULT_CONFIG.shadow.historyPrivileges).toBe('owner');
    expect(parseConfig('shadow:\n  historyPrivileges: superuser\n').shadow.historyPrivileges).toBe('superuser');
    expect(() => parseConfig('shadow:\n  historyPrivileges: root\n')).toThrow(/:2: shadow\.historyPrivileges must be one of owner, superuser; got "root"/);
  });

  it('returns the defaults for an empty file', () => {
    expect(parseConfig('')).toEqual(DEFAULT_CONFIG);
  });

  it('rejects an unknown key with its line', () => {
    expect(() => parseConfig('migrations:\n  layout: goose\n  paht: db\n')).toThrow(/drillbot\.yml:3: unknown key "migrations\.paht"/);
    expect(() => parseConfig('shadw:\n  seedRows: 1\n')).toThrow(/drillbot\.yml:1: unknown key "shadw"/);
  });

  it('rejects a value of the wrong kind with its line', () => {
    expect(() => parseConfig('migrations:\n  layout: alembic\n')).toThrow(/:2: migrations\.layout must be one of golang-migrate/);
    expect(() => parseConfig('shadow:\n  seedRows: many\n')).toThrow(/:2: shadow\.seedRows must be an integer/);
    expect(() => parseConfig('shadow:\n  timeout: soon\n')).toThrow(/:2: shadow\.timeout must be a duration/);
  });

  it('reads migrations.maxFileSize in bytes or with a unit, within its bounds', () => {
    expect(parseConfig('migrations:\n  maxFileSize: 2MiB\n').migrations.maxFileSize).toBe(2 * 1024 * 1024);
    expect(parseConfig('migrations:\n  maxFileSize: 500KB\n').migrations.maxFileSize).toBe(500_000);
    expect(parseConfig('migrations:\n  maxFileSize: 4096\n').migrations.maxFileSize).toBe(4096);
    expect(() => parseConfig('migrations:\n  maxFileSize: 1GiB\n')).toThrow(/:2: migrations\.maxFileSize must be a size from 1KiB to 100MiB/);
    expect(() => parseConfig('migrations:\n  maxFileSize: 200MiB\n')).toThrow(/:2: migrations\.maxFileSize must be a size/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseConfig('migrations:\n  layout: [goose\n')).toThrow(/drillbot\.yml:\d+: /);
  });
});

describe('parseConfig: reviewer', () => {
  it('reads the model, endpoint, limits and team checklist items', () => {
    const config = parseConfig(
      [
        'reviewer:',
        '  model: gpt-4.1-mini',
        '  baseUrl: https://example.openai.azure.com/openai/v1/',
        '  timeout: 45s',
        '  maxTokens: 8000',
        '  checklist:',
        '    - id: feature-flag',
        '      direction: forward',
        '      question: Is the new column behind a feature flag?',
        '',
      ].join('\n'),
    );
    expect(config.reviewer).toEqual({
      enabled: true,
      model: 'gpt-4.1-mini',
      baseUrl: 'https://example.openai.azure.com/openai/v1/',
      timeoutMs: 45_000,
      maxTokens: 8000,
      checklist: [{ id: 'feature-flag', direction: 'forward', question: 'Is the new column behind a feature flag?' }],
    });
  });

  it('rejects unknown keys and bad values with their line', () => {
    expect(() => parseConfig('reviewer:\n  modle: x\n')).toThrow(/drillbot\.yml:2: unknown key "reviewer\.modle"/);
    expect(() => parseConfig('reviewer:\n  checklist:\n    - id: a\n      direction: forward\n      question: q\n      severity: error\n')).toThrow(
      /drillbot\.yml:6: unknown key "reviewer\.checklist\.severity"/,
    );
    expect(() => parseConfig('reviewer:\n  checklist:\n    - id: a\n      direction: sideways\n      question: q\n')).toThrow(
      /drillbot\.yml:3: reviewer\.checklist\.direction must be one of forward, reverse/,
    );
    expect(() => parseConfig('reviewer:\n  baseUrl: localhost:11434\n')).toThrow(/:2: reviewer\.baseUrl must be an http\(s\) URL/);
    expect(() => parseConfig('reviewer:\n  enabled: maybe\n')).toThrow(/:2: reviewer\.enabled must be true or false/);
  });
});

describe('parseDuration', () => {
  it('reads units and plain seconds', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('15m'), parseDuration('1h'), parseDuration(2)]).toEqual([
      500, 30_000, 900_000, 3_600_000, 2000,
    ]);
    expect(parseDuration('-1s')).toBeNull();
    expect(parseDuration('0')).toBeNull();
  });
});

describe('parseConfig: rules', () => {
  it('reads severities per rule and hazard, and overrides per glob', () => {
    const config = parseConfig(
      'rules:\n  require-concurrent-index: warning\n  type-choice: off\noverrides:\n  - files: "db/legacy/**"\n    rules:\n      rewrite: off\ntableSizes: .github/sizes.json\n',
    );
    expect(config.rules).toEqual({ 'require-concurrent-index': 'warning', 'type-choice': 'off' });
    expect(config.overrides).toEqual([{ files: ['db/legacy/**'], rules: { rewrite: 'off' } }]);
    expect(config.tableSizes).toBe('.github/sizes.json');
  });

  it('rejects an unknown rule id with its line', () => {
    expect(() => parseConfig('rules:\n  require-concurent-index: off\n')).toThrow(/drillbot\.yml:2: unknown rule or hazard "require-concurent-index"/);
    expect(() => parseConfig('overrides:\n  - files: x\n    rules:\n      nope: off\n')).toThrow(/drillbot\.yml:4: unknown rule or hazard "nope"/);
  });

  it('rejects an unknown severity and an override without files', () => {
    expect(() => parseConfig('rules:\n  rewrite: fatal\n')).toThrow(/:2: rules\.rewrite must be one of error, warning, notice, off/);
    expect(() => parseConfig('overrides:\n  - rules:\n      rewrite: off\n')).toThrow(/:2: an override needs files and rules/);
  });

  it('reads shadow.tenants: a schema list or a query, the template (public by default) and per-tenant seed SQL', () => {
    const listed = parseConfig('shadow:\n  tenants:\n    schemas: [acme, globex]\n    seed:\n      globex: INSERT INTO users (email) VALUES (1)\n');
    expect(listed.shadow.tenants).toEqual({ template: 'public', schemas: ['acme', 'globex'], seed: { globex: 'INSERT INTO users (email) VALUES (1)' } });
    const queried = parseConfig('shadow:\n  tenants:\n    template: tenant_template\n    query: SELECT schema_name FROM tenants\n');
    expect(queried.shadow.tenants).toEqual({ template: 'tenant_template', query: 'SELECT schema_name FROM tenants', seed: {} });
    expect(parseConfig('shadow:\n  seedRows: 5\n').shadow.tenants).toBeUndefined();
  });

  it('rejects shadow.tenants without exactly one of schemas and query, and schema names PostgreSQL would fold', () => {
    expect(() => parseConfig('shadow:\n  tenants:\n    template: public\n')).toThrow(/:3: shadow\.tenants needs exactly one of schemas and query/);
    expect(() => parseConfig('shadow:\n  tenants:\n    schemas: [a]\n    query: SELECT 1\n')).toThrow(/needs exactly one of schemas and query/);
    expect(() => parseConfig('shadow:\n  tenants:\n    schemas:\n      - Acme\n')).toThrow(
      /:4: shadow\.tenants\.schemas must be a lower-case schema name .*got "Acme"/,
    );
    expect(() => parseConfig('shadow:\n  tenants:\n    schemas: [a]\n    seeds: {}\n')).toThrow(
      /:4: unknown key "shadow\.tenants\.seeds" \(known: template, schemas, query, seed\)/,
    );
  });
});

describe('parseSize', () => {
  it('reads PostgreSQL and IEC units as powers of 1024, and plain numbers as bytes', () => {
    expect(parseSize('64kB')).toBe(64 * 1024);
    expect(parseSize('8MiB')).toBe(8 * 1024 ** 2);
    expect(parseSize('1 TB')).toBe(1024 ** 4);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('12 parsecs')).toBeNull();
    expect(parseSize('-1GB')).toBeNull();
    expect(parseSize(0)).toBeNull();
  });
});

describe('parseConfig: queries', () => {
  it('reads queries: as one glob or a list, and shadow.queryCostRatio (10 by default)', () => {
    expect(parseConfig('').queries).toEqual([]);
    expect(parseConfig('').shadow.queryCostRatio).toBe(10);
    expect(parseConfig('queries: sql/*.sql\n').queries).toEqual(['sql/*.sql']);
    const config = parseConfig('queries:\n  - sql/*.sql\n  - db/queries/**/*.sql\nshadow:\n  queryCostRatio: 4.5\n');
    expect(config.queries).toEqual(['sql/*.sql', 'db/queries/**/*.sql']);
    expect(config.shadow.queryCostRatio).toBe(4.5);
  });

  it('rejects an empty pattern and a ratio of 1 or less with their line', () => {
    expect(() => parseConfig('queries:\n  - sql/*.sql\n  - ""\n')).toThrow(/drillbot\.yml:3: queries must be a non-empty string/);
    expect(() => parseConfig('shadow:\n  queryCostRatio: 1\n')).toThrow(/drillbot\.yml:2: shadow\.queryCostRatio must be a number above 1/);
  });
});
