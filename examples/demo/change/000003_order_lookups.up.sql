-- Faster "orders of a user" page.
CREATE INDEX orders_user_id_idx ON orders (user_id);

-- Public tracking links.
ALTER TABLE orders ADD COLUMN tracking_id uuid DEFAULT gen_random_uuid();

-- Totals above 21 million dollars.
ALTER TABLE orders ALTER COLUMN total_cents TYPE bigint;

-- Longer names; no rewrite: varchar widening is binary-coercible.
ALTER TABLE users ALTER COLUMN display_name TYPE varchar(200);
