// The Engine module. See Package.swift for where it sits.
enum EngineModule {}
