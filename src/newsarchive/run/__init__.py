"""Running the cleaning: the executors that clean records while the archive keeps one writer."""
