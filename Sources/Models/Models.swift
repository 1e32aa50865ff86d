// The Models module. See Package.swift for where it sits.
enum ModelsModule {}
