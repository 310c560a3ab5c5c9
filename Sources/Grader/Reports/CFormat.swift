import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Numbers printed with a C format (`"%.2f"`, `"%.6g"`, `"%02x"`): the characters
/// `String(format:)` gives, through `vsnprintf` into a buffer on the stack, without Foundation's
/// formatter — a report's pictures print thousands of numbers.
///
/// ```
/// CFormat.string("%.2f", 2.5)        "2.50"
/// CFormat.string("%.3e", 1.0e-7)     "1.000e-07"
/// ```
/// Output longer than 511 bytes is cut there (no number a report prints comes close).
enum CFormat {
  static func string(_ format: String, _ arguments: CVarArg...) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buffer -> String in
      let base = buffer.baseAddress!
      let written = withVaList(arguments) { vsnprintf(base, buffer.count, format, $0) }
      let n = Int(Swift.max(0, Swift.min(written, Int32(buffer.count - 1))))
      return String(decoding: UnsafeRawBufferPointer(start: base, count: n), as: UTF8.self)
    }
  }
}
