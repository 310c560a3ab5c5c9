#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The elementary functions of the n-gram items, from the C library (no Foundation needed).
enum NGramMath {
  @inline(__always) static func exp(_ x: Double) -> Double { libmExp(x) }
  @inline(__always) static func log(_ x: Double) -> Double { libmLog(x) }
  @inline(__always) static func log2(_ x: Double) -> Double { libmLog2(x) }
  @inline(__always) static func log10(_ x: Double) -> Double { libmLog10(x) }
}

@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmLog2(_ x: Double) -> Double { log2(x) }
@inline(__always) private func libmLog10(_ x: Double) -> Double { log10(x) }
