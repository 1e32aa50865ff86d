// The Media module. See Package.swift for where it sits.
enum MediaModule {}
