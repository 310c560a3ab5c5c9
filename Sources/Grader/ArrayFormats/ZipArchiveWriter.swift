import Foundation

/// Writes a ZIP archive in memory: what `np.savez` (stored) or `np.savez_compressed` (deflated)
/// would write for the same members, readable by Python's `zipfile` and `np.load`.
///
/// ```
/// per member:  local header (30 bytes + name) · data
/// then:        central directory (46 bytes + name per member) · end record (22 bytes)
/// ```
///
/// Every member is dated 1980-01-01 00:00 so the same arrays always give the same bytes.
/// Archives and members must stay below 4 GiB (no ZIP64 records are written).
struct ZipArchiveWriter {
  enum Method: UInt16 {
    case stored = 0
    case deflated = 8
  }

  private var body = Data()
  private var directory = Data()
  private var count = 0

  /// The DOS date of 1980-01-01: (year − 1980) << 9 | month << 5 | day.
  private static let dosDate: UInt16 = 1 << 5 | 1

  mutating func add(name: String, contents: Data, method: Method) {
    let stored = method == .deflated ? RawDeflate.deflate(contents) : contents
    let crc = RawDeflate.crc32(contents)
    let nameBytes = Data(name.utf8)
    // Bit 11: the name is UTF-8.
    let flags: UInt16 = name.utf8.allSatisfy { $0 < 0x80 } ? 0 : 1 << 11
    precondition(body.count < Int(UInt32.max) && stored.count < Int(UInt32.max), "ZIP members and offsets must stay below 4 GiB")
    let offset = UInt32(body.count)

    var local = Data()
    local.appendLE(UInt32(0x0403_4B50))
    local.appendLE(UInt16(20))  // version needed: 2.0
    local.appendLE(flags)
    local.appendLE(method.rawValue)
    local.appendLE(UInt16(0))  // time
    local.appendLE(Self.dosDate)
    local.appendLE(crc)
    local.appendLE(UInt32(stored.count))
    local.appendLE(UInt32(contents.count))
    local.appendLE(UInt16(nameBytes.count))
    local.appendLE(UInt16(0))  // extra length
    body.append(local)
    body.append(nameBytes)
    body.append(stored)

    directory.appendLE(UInt32(0x0201_4B50))
    directory.appendLE(UInt16(20))  // version made by: 2.0, MS-DOS attributes
    directory.appendLE(UInt16(20))
    directory.appendLE(flags)
    directory.appendLE(method.rawValue)
    directory.appendLE(UInt16(0))
    directory.appendLE(Self.dosDate)
    directory.appendLE(crc)
    directory.appendLE(UInt32(stored.count))
    directory.appendLE(UInt32(contents.count))
    directory.appendLE(UInt16(nameBytes.count))
    directory.appendLE(UInt16(0))  // extra
    directory.appendLE(UInt16(0))  // comment
    directory.appendLE(UInt16(0))  // disk
    directory.appendLE(UInt16(0))  // internal attributes
    directory.appendLE(UInt32(0))  // external attributes
    directory.appendLE(offset)
    directory.append(nameBytes)
    count += 1
  }

  /// The finished archive.
  func finish() -> Data {
    precondition(count < 0xFFFF, "a ZIP archive without ZIP64 records holds fewer than 65 535 members")
    var archive = body
    archive.append(directory)
    archive.appendLE(UInt32(0x0605_4B50))
    archive.appendLE(UInt16(0))
    archive.appendLE(UInt16(0))
    archive.appendLE(UInt16(count))
    archive.appendLE(UInt16(count))
    archive.appendLE(UInt32(directory.count))
    archive.appendLE(UInt32(body.count))
    archive.appendLE(UInt16(0))  // comment length
    return archive
  }
}

extension Data {
  mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
    Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
  }
}
