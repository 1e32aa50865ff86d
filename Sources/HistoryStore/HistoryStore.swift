// The HistoryStore module. See Package.swift for where it sits.
enum HistoryStoreModule {}
