import Jacobians

/// The seeds every randomized test runs on: 20 fixed, reproducible cases.
public let randomSeeds: [UInt64] = (1...20).map { UInt64($0) &* 0x9E37_79B9 }
