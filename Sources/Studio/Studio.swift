// The Studio module. See Package.swift for where it sits.
enum StudioModule {}
