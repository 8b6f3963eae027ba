-- Test-only migration whose second statement fails: the first must be rolled back with it.
CREATE TABLE half_done (id INTEGER PRIMARY KEY);
ALTER TABLE no_such_table ADD COLUMN x INTEGER;
