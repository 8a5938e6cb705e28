import { parseConfig } from '../config.js';
import { isCodeMigration, PRESETS, resolveCommand } from './command-presets.js';

describe('code migrations in the configuration', () => {
  it('reads migrations.preset and migrations.command; a command set replaces the preset’s', () => {
    const config = parseConfig('migrations:\n  preset: knex\n  path: db/migrations\n  command:\n    up: npm run migrate\n');
    expect(config.migrations).toMatchObject({ preset: 'knex', path: 'db/migrations', command: { up: 'npm run migrate' } });
    expect(resolveCommand(config.migrations.preset, config.migrations.command, config.migrations.path)).toEqual({
      ...PRESETS.knex,
      up: 'npm run migrate',
      path: 'db/migrations',
      tool: 'knex',
    });
  });

  it('rejects an unknown preset and an unknown command key with their line', () => {
    expect(() => parseConfig('migrations:\n  preset: flyway\n')).toThrow(/:2: migrations\.preset must be one of knex, typeorm, node-pg-migrate/);
    expect(() => parseConfig('migrations:\n  command:\n    up: x\n    apply: y\n')).toThrow(
      /:4: unknown key "migrations\.command\.apply" \(known: up, down, status\)/,
    );
  });

  it('has no command without a preset or an up command', () => {
    expect(resolveCommand(undefined, undefined, 'db')).toBeNull();
    expect(resolveCommand(undefined, { down: 'x' }, 'db')).toBeNull();
    expect(resolveCommand(undefined, { up: 'make migrate' }, undefined)).toEqual({ up: 'make migrate', path: '', tables: [], tool: 'command' });
  });
});

describe('isCodeMigration', () => {
  const knex = { path: 'migrations', tool: 'knex' };
  it('takes source files directly in the migrations directory, not helpers, dotfiles or files elsewhere', () => {
    expect(isCodeMigration('migrations/20240201000000_index.js', knex)).toBe(true);
    expect(isCodeMigration('migrations/20240201000000_index.ts', knex)).toBe(true);
    expect(isCodeMigration('migrations/_helpers.js', knex)).toBe(false);
    expect(isCodeMigration('migrations/.eslintrc.js', knex)).toBe(false);
    expect(isCodeMigration('migrations/README.md', knex)).toBe(false);
    expect(isCodeMigration('migrations/old/20200101_x.js', knex)).toBe(false);
    expect(isCodeMigration('src/index.js', knex)).toBe(false);
  });

  it('finds Django migrations in every app', () => {
    const django = { path: '', tool: 'django' };
    expect(isCodeMigration('shop/migrations/0002_order_index.py', django)).toBe(true);
    expect(isCodeMigration('shop/migrations/__init__.py', django)).toBe(false);
    expect(isCodeMigration('shop/models.py', django)).toBe(false);
  });
});
