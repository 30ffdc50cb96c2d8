SELECT count FROM counter WHERE id = 1;
