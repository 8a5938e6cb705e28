CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name varchar(100),
    created_at timestamptz NOT NULL DEFAULT now()
);
