// The Tokenizers module. See Package.swift for where it sits.
enum TokenizersModule {}
