-- The count, if it has been saved yet (`:opt`: an Option instead of a Vec).
-- :opt
SELECT count FROM counter WHERE id = 1;
