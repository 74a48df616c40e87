-- A task only the people who see this assistant see, whoever it is assigned
-- to: a follow-up filed after a private assistant's session failed keeps
-- that session's visibility.
ALTER TABLE tasks ADD COLUMN private_to TEXT;
