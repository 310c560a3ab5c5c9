import Digest
import Foundation

/// The records the Python harness writes on its standard output, each sealed with the run's nonce.
///
/// ```
/// nonce    32 random bytes per run, written as 64 hex digits and a newline on the harness's
///          standard input; only its sealer process reads it (`PythonHarnessSource`)
/// record   grading-python 1 <item> <set> <kind> <length> <mac>\n<body>\n
/// mac      HMAC-SHA256(nonce, "grading-python 1" ‖ 0 ‖ item ‖ 0 ‖ set ‖ 0 ‖ kind ‖ 0 ‖ body), hex
/// kinds    value (a .npy body) · missing · error · ended (set -1) · done (item "-", set -1)
/// ```
/// A record counts only when its MAC is right: a record the student's code managed to print,
/// write or replay from another run is not one the harness wrote after the item's function
/// returned, and is dropped. Reading stops at the first record that is not well formed.
enum PythonResultChannel {
  struct Record: Equatable, Sendable {
    var item: String
    var set: Int
    var kind: String
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
  }

  /// The records of `output` sealed with `nonce`, and how many well-formed records were dropped
  /// for a wrong MAC; `truncated` is true when reading stopped before the end of `output`.
  static func records(in output: [UInt8], nonce: [UInt8]) -> (records: [Record], forged: Int, truncated: Bool) {
    var records: [Record] = []
    var forged = 0
    var index = 0
    let magic = Array("grading-python 1 ".utf8)
    while index < output.count {
      guard output.count - index > magic.count, Array(output[index..<(index + magic.count)]) == magic,
            let newline = output[index...].prefix(400).firstIndex(of: 0x0A) else {
        return (records, forged, true)
      }
      let fields = String(decoding: output[(index + magic.count)..<newline], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
      guard fields.count == 5, let set = Int(fields[1]), let length = Int(fields[3]), length >= 0,
            length <= output.count - newline - 2, output[newline + 1 + length] == 0x0A,
            let mac = Hex.bytes(String(fields[4])), mac.count == HMACSHA256.byteCount else {
        return (records, forged, true)
      }
      let item = String(fields[0]), kind = String(fields[2])
      let body = Array(output[(newline + 1)..<(newline + 1 + length)])
      index = newline + 1 + length + 1
      if seal(item: item, set: fields[1], kind: kind, body: body, nonce: nonce) == mac {
        records.append(Record(item: item, set: set, kind: kind, body: body))
      } else {
        forged += 1
      }
    }
    return (records, forged, false)
  }

  /// The MAC of one record.
  static func seal(item: String, set: Substring, kind: String, body: [UInt8], nonce: [UInt8]) -> [UInt8] {
    var message = Array("grading-python 1".utf8)
    for field in [Array(item.utf8), Array(set.utf8), Array(kind.utf8)] {
      message.append(0)
      message += field
    }
    message.append(0)
    message += body
    return HMACSHA256.authenticationCode(key: nonce, message: message)
  }

  /// A record as the harness's sealer writes it (for tests of the reader).
  static func encode(_ record: Record, nonce: [UInt8]) -> [UInt8] {
    let set = String(record.set)
    let mac = Hex.string(seal(item: record.item, set: Substring(set), kind: record.kind, body: record.body, nonce: nonce))
    return Array("grading-python 1 \(record.item) \(set) \(record.kind) \(record.body.count) \(mac)\n".utf8) + record.body + [0x0A]
  }

  /// A new nonce: 32 bytes from the system's cryptographically secure generator.
  static func nonce() -> [UInt8] {
    var rng = SystemRandomNumberGenerator()
    return (0..<4).flatMap { _ -> [UInt8] in
      let word = rng.next()
      return (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) }
    }
  }
}
