import { readFileSync } from 'node:fs';
import { likelyLine } from './command-drill.js';

const fixture = (path: string) => readFileSync(`test/fixtures/code-migrations/${path}`, 'utf8');

describe('likelyLine', () => {
  it('finds a schema builder call by the identifiers it quotes', () => {
    const knex = fixture('knex/change/migrations/20240201000000_index_users_email.js');
    expect(likelyLine('create index "users_email_index" on "users" ("email")', knex)).toBe(4);
  });

  it('finds the add_index whose generated index name a reverse drops, by the words of the name', () => {
    const rails = fixture('rails/change/db/migrate/20240201000000_index_users_email.rb');
    expect(likelyLine('DROP INDEX  "index_users_on_email"', rails)).toBe(3);
  });

  it('keeps line 1 when no line names the statement or any word of it', () => {
    const rails = fixture('rails/change/db/migrate/20240201000000_index_users_email.rb');
    expect(likelyLine('DROP INDEX "orders_total_idx"', rails)).toBe(1);
  });
});
