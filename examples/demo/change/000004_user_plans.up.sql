-- Every user gets a plan.
ALTER TABLE users ADD COLUMN plan text NOT NULL;
