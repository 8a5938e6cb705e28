import { main } from '../../src/cli/main.js';
import { codeReferenceFindings, selectCodeFiles } from '../../src/core/index.js';
import { parseMigrations } from '../../src/core/sql/parse-migrations.js';
import type { Finding, Report } from '../../src/core/index.js';
import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';

/** Runs the CLI in-process on a repository, as `drillbot check --format json`. */
async function check(dir: string): Promise<Report> {
  let stdout = '';
  const stream = { write: (text: string) => ((stdout += text), true) } as unknown as NodeJS.WritableStream;
  const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
  await main(['check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet'], { stdout: stream, stderr: quiet });
  return JSON.parse(stdout) as Report;
}

const MIGRATIONS = {
  'db/migrations/000001_shop.up.sql':
    'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy_flag boolean, status text);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, coupon text, status text);\nCREATE TABLE audit_log (id bigint PRIMARY KEY, note text);\n',
  'db/migrations/000001_shop.down.sql': 'DROP TABLE audit_log;\nDROP TABLE orders;\nDROP TABLE users;\n',
};

/** A small application whose code still uses users.legacy_flag, orders.coupon and audit_log in every way the scan knows. */
const APP = {
  'queries/report.sql':
    '-- weekly report\nSELECT u.id,\n       u.legacy_flag\nFROM users u\nWHERE u.email LIKE $1;\nINSERT INTO users (id, email, legacy_flag)\nVALUES ($1, $2, $3);\n',
  // An empty file first: git cat-file still ends its record with a newline.
  'app/__init__.py': '',
  'queries/other.sql': '-- legacy_flag here is a comment; this query reads another table\nSELECT legacy_flag FROM accounts;\n',
  'prisma/schema.prisma': 'model User {\n  id         BigInt  @id\n  email      String\n  legacyFlag Boolean? @map("legacy_flag")\n  @@map("users")\n}\n',
  'src/db/schema.ts':
    "import { pgTable, bigint, text } from 'drizzle-orm/pg-core';\nexport const orders = pgTable('orders', {\n  id: bigint('id', { mode: 'number' }).primaryKey(),\n  coupon: text('coupon'),\n  status: text('status'),\n});\n",
  'src/entities/user.ts':
    "import { Column, Entity, PrimaryColumn } from 'typeorm';\n@Entity('users')\nexport class User {\n  @PrimaryColumn() id!: string;\n  @Column({ name: 'legacy_flag', nullable: true })\n  legacyFlag?: boolean;\n}\n",
  'src/repo.ts': "export const find = (db, id) =>\n  db.query(`SELECT id, status\n    FROM orders\n    WHERE coupon = ${id}`);\nconst label = 'coupon';\n",
  'app/models.py':
    'from sqlalchemy import Column, Text\nclass Order(Base):\n    __tablename__ = "orders"\n    id = Column(BigInteger, primary_key=True)\n    coupon = Column(Text)\n\nclass Audit(models.Model):\n    note = models.TextField()\n    class Meta:\n        db_table = "audit_log"\n',
  'db/schema.rb':
    'ActiveRecord::Schema.define do\n  create_table "orders", force: :cascade do |t|\n    t.bigint "user_id", null: false\n    t.text "coupon"\n  end\nend\n',
  'README.md': 'The coupon and legacy_flag columns of users and orders.\n',
};

const CHANGE = {
  'db/migrations/000002_cleanup.up.sql':
    "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy_flag;\nALTER TABLE orders DROP COLUMN coupon;\nDROP TABLE audit_log;\nALTER TABLE orders DROP COLUMN status;\n",
  'db/migrations/000002_cleanup.down.sql':
    'CREATE TABLE audit_log (id bigint PRIMARY KEY, note text);\nALTER TABLE orders ADD COLUMN coupon text, ADD COLUMN status text;\nALTER TABLE users ADD COLUMN legacy_flag boolean;\n',
};

const referencesOf = (f: Finding) => [...f.message.matchAll(/([\w./]+:\d+) \(([\w ]+)\)/g)].map((m) => `${m[1]} ${m[2]}`);

describe('code references: dropped names the head still uses', () => {
  const repos: Array<{ remove: () => void }> = [];
  afterAll(() => repos.forEach((r) => r.remove()));

  it('reports each dropped table or column the code names, with file and line, and nothing for words in comments or other tables', async () => {
    const repo = gitRepo({ ...MIGRATIONS, ...APP }, CHANGE);
    repos.push(repo);
    const report = await check(repo.dir);
    const refs = report.findings.filter((f) => f.rule === 'code-reference');
    expect(refs.map((f) => `${f.hazard}@${f.line}`)).toEqual(['breaking-change@2', 'breaking-change@3', 'breaking-change@4', 'breaking-change@5']);
    expect(referencesOf(refs[0]!)).toEqual([
      'prisma/schema.prisma:4 model field',
      'queries/report.sql:3 SQL',
      'queries/report.sql:6 SQL',
      'src/entities/user.ts:5 model field',
    ]);
    expect(referencesOf(refs[1]!)).toEqual([
      'app/models.py:5 model field',
      'db/schema.rb:4 model field',
      'src/db/schema.ts:4 model field',
      'src/repo.ts:4 SQL string',
    ]);
    expect(referencesOf(refs[2]!)).toEqual(['app/models.py:7 model']);
    // orders.status: the Drizzle field and the SQL string; not the users.status column nor the word in README.
    expect(referencesOf(refs[3]!)).toEqual(['src/db/schema.ts:5 model field', 'src/repo.ts:2 SQL string']);
    expect(refs[0]!.message).toMatch(/^This drops users\.legacy_flag, which the head's code still names/);
    expect(report.verdict).toBe('fail');
  });

  it('reports nothing when the code stopped using the column first (expand/contract)', async () => {
    const repo = gitRepo(MIGRATIONS, {
      'db/migrations/000002_drop_flag.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy_flag;\n",
      'db/migrations/000002_drop_flag.down.sql': 'ALTER TABLE users ADD COLUMN legacy_flag boolean;\n',
      'queries/report.sql': 'SELECT u.id, u.email FROM users u;\n',
      'prisma/schema.prisma': 'model User {\n  id    BigInt @id\n  email String\n  @@map("users")\n}\n',
    });
    repos.push(repo);
    const report = await check(repo.dir);
    expect(report.findings.filter((f) => f.rule === 'code-reference')).toEqual([]);
  });
});

describe('codeReferenceFindings', () => {
  it('says the scan was capped instead of reporting no reference', async () => {
    const migration = {
      version: '2',
      name: '2_drop',
      forward: { path: 'db/2.up.sql', sql: 'ALTER TABLE users DROP COLUMN legacy_flag;', startLine: 1, transaction: 'transaction' as const },
      reverse: null,
    };
    const { parsed } = await parseMigrations([migration]);
    const code = { files: [{ path: 'src/a.ts', content: "db.query('SELECT id FROM users');" }], capped: 'the scan read 1 of 2 code files' };
    expect(await codeReferenceFindings(parsed, code, 'db')).toEqual([
      expect.objectContaining({
        hazard: 'breaking-change',
        severity: 'notice',
        line: 1,
        message: 'No code read names users.legacy_flag, but the scan read 1 of 2 code files.',
      }),
    ]);
    const found = await codeReferenceFindings(parsed, { ...code, files: [{ path: 'src/a.ts', content: "db.query('SELECT legacy_flag FROM users');" }] }, 'db');
    expect(found).toEqual([expect.objectContaining({ severity: 'error', evidence: "found in the head's files; the scan read 1 of 2 code files" })]);
  });
});

describe('code references of a rename', () => {
  it('names the old name in SQL strings and models, and not the new one', async () => {
    const migration = {
      version: '2',
      name: '2_rename',
      forward: { path: 'db/2.up.sql', sql: 'ALTER TABLE users RENAME COLUMN email TO email_address;', startLine: 1, transaction: 'transaction' as const },
      reverse: null,
    };
    const { parsed } = await parseMigrations([migration]);
    const files = [
      { path: 'app/models.py', content: 'class User(Base):\n    __tablename__ = "users"\n    email = db.Column(db.Text)\n' },
      { path: 'app/new.py', content: 'rows = db.execute("SELECT email_address FROM users WHERE email_address = %s", (x,))\n' },
      { path: 'app/old.go', content: 'const q = `\nSELECT id\nFROM users u\nWHERE u.email = ?`\n' },
    ];
    const [found] = await codeReferenceFindings(parsed, { files }, 'db');
    expect(found!.message).toBe(
      "This renames users.email to email_address, which the head's code still names: app/models.py:3 (model field), app/old.go:4 (SQL string). That code fails once the migration has run.",
    );
  });
});

describe('selectCodeFiles', () => {
  it('skips dependencies and non-code files and says when the limits capped the scan', () => {
    const entries = [
      { path: 'src/a.ts', size: 10 },
      { path: 'src/b.py', size: 20 },
      { path: 'node_modules/x/index.js', size: 5 },
      { path: 'logo.png', size: 5 },
      { path: 'src/huge.sql', size: 10_000 },
    ];
    expect(selectCodeFiles(entries)).toEqual({ paths: ['src/a.ts', 'src/b.py', 'src/huge.sql'] });
    const capped = selectCodeFiles(entries, { files: 1, fileBytes: 1000, totalBytes: 1000 });
    expect(capped.paths).toEqual(['src/a.ts']);
    expect(capped.capped).toMatch(/^the scan read 1 of 3 code files .*; 1 larger than the per-file limit/);
  });
});
