#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The elementary functions, from the C library, so that no reference module needs Foundation:
/// the one place where `BPTTReference`, `NGram` and `Jacobians` itself take `exp`, `log`, ….
///
/// ```
/// Elementary.exp(x) = eˣ      Elementary.log(x) = ln x    log2, log10, log1p(x) = ln(1 + x)
/// Elementary.tanh, cos, pow   — each the C library's, correctly rounded or within its 1 ulp
/// ```
public enum Elementary {
  @inlinable public static func exp(_ x: Double) -> Double { _exp(x) }
  @inlinable public static func log(_ x: Double) -> Double { _log(x) }
  @inlinable public static func log2(_ x: Double) -> Double { _log2(x) }
  @inlinable public static func log10(_ x: Double) -> Double { _log10(x) }
  @inlinable public static func log1p(_ x: Double) -> Double { _log1p(x) }
  @inlinable public static func tanh(_ x: Double) -> Double { _tanh(x) }
  @inlinable public static func cos(_ x: Double) -> Double { _cos(x) }
  @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { _pow(x, y) }
}

// At file scope the names below resolve to the C library's functions.
@usableFromInline @inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@usableFromInline @inline(__always) func _log(_ x: Double) -> Double { log(x) }
@usableFromInline @inline(__always) func _log2(_ x: Double) -> Double { log2(x) }
@usableFromInline @inline(__always) func _log10(_ x: Double) -> Double { log10(x) }
@usableFromInline @inline(__always) func _log1p(_ x: Double) -> Double { log1p(x) }
@usableFromInline @inline(__always) func _tanh(_ x: Double) -> Double { tanh(x) }
@usableFromInline @inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@usableFromInline @inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
