/// Bytes written as lowercase hexadecimal, two digits per byte, and back.
///
/// ```
/// [0xBA, 0x78, 0x16]  ↔  "ba7816"
/// ```
public enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  /// `bytes` as lowercase hexadecimal.
  public static func string(_ bytes: some Sequence<UInt8>) -> String {
    var utf8: [UInt8] = []
    for byte in bytes {
      utf8.append(digits[Int(byte >> 4)])
      utf8.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: utf8, as: UTF8.self)
  }

  /// The bytes `text` spells (either case; spaces and newlines between digits are skipped), or
  /// nil when it holds another character or an odd number of digits.
  public static func bytes(_ text: String) -> [UInt8]? {
    var result: [UInt8] = []
    var high: UInt8? = nil
    for c in text.utf8 {
      let value: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): value = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): value = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): value = c - UInt8(ascii: "A") + 10
      case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"): continue
      default: return nil
      }
      if let h = high {
        result.append(h << 4 | value)
        high = nil
      } else {
        high = value
      }
    }
    return high == nil ? result : nil
  }
}
