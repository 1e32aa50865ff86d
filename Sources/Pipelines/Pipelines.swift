// The Pipelines module. See Package.swift for where it sits.
enum PipelinesModule {}
