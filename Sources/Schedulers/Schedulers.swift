// The Schedulers module. See Package.swift for where it sits.
enum SchedulersModule {}
