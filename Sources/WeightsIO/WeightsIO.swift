// The WeightsIO module. See Package.swift for where it sits.
enum WeightsIOModule {}
