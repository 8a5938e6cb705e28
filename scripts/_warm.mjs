import pg from 'pg';
import { snapshotSchema } from '../dist/core/drill/schema-snapshot.js';
const admin = new pg.Client('postgres://postgres@127.0.0.1/postgres'); await admin.connect();
async function once(warm) {
  await admin.query('drop database if exists zz_w');
  await admin.query(`create database zz_w template zz_tpl`);
  if (warm) { const w = new pg.Client('postgres://postgres@127.0.0.1/zz_w'); await w.connect(); await snapshotSchema(w); await w.end(); }
  const t0 = performance.now();
  const c = new pg.Client('postgres://postgres@127.0.0.1/zz_w'); await c.connect();
  const t1 = performance.now();
  await snapshotSchema(c);
  const t2 = performance.now();
  await snapshotSchema(c);
  const t3 = performance.now();
  await c.end();
  return [t1-t0, t2-t1, t3-t2].map(x=>x.toFixed(1)).join(' ');
}
for (let i=0;i<4;i++) console.log('cold', await once(false), '| warmed', await once(true));
await admin.query('drop database if exists zz_w'); await admin.end();
