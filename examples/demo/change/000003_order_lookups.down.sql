ALTER TABLE users ALTER COLUMN display_name TYPE varchar(100);
ALTER TABLE orders ALTER COLUMN total_cents TYPE integer;
ALTER TABLE orders DROP COLUMN tracking_id;
