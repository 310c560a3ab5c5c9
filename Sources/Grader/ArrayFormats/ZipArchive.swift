import Foundation

/// A ZIP archive held in memory, read through its central directory, as `.npz` files are.
///
/// ```
/// [local header 1][data 1] … [local header n][data n]
/// [central directory: one entry per member — name, method, CRC-32, sizes, local header offset]
/// [ZIP64 end record + locator, when counts or offsets overflow 16/32 bits]
/// [end of central directory record: entry count, directory size and offset, comment]
/// ```
///
/// Sizes and offsets come from the central directory; a field set to 0xFFFF or 0xFFFFFFFF is
/// read from the ZIP64 extra field (header id 0x0001) or the ZIP64 end record instead, which is
/// how Python's `zipfile` (and so `np.savez`) marks them. Local headers are only used to find
/// where a member's data starts: their size fields may be 0xFFFFFFFF placeholders.
///
/// Members stored (method 0) and deflated (method 8) are read; each is checked against its CRC-32.
struct ZipArchive: Sendable {
  struct Member: Sendable, Equatable {
    var name: String
    var method: UInt16
    var flags: UInt16
    var crc32: UInt32
    var compressedSize: Int
    var uncompressedSize: Int
    var localHeaderOffset: Int

    var isDirectory: Bool { name.hasSuffix("/") }
  }

  /// Why an archive or one of its members cannot be read.
  enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    case noEndRecord(fileBytes: Int)
    case badDirectory(String)
    case badMember(name: String, reason: String)

    var description: String {
      switch self {
      case .noEndRecord(let bytes):
        return bytes < 22
          ? "it is \(bytes) bytes long, too short for a ZIP archive"
          : "its end-of-central-directory record is missing, so it is not a ZIP archive or it was cut short"
      case .badDirectory(let reason): return "its central directory is damaged: \(reason)"
      case .badMember(let name, let reason): return "member \(name): \(reason)"
      }
    }
  }

  /// The largest member inflated (1 GiB): the output buffer is allocated up front.
  static let maximumInflatedSize = 1 << 30

  private let bytes: Bytes
  private(set) var members: [Member] = []

  /// Reads the central directory of `data`.
  init(_ data: Data) throws(Failure) {
    let bytes = Bytes(data)
    self.bytes = bytes
    guard let end = Self.findEndRecord(bytes) else { throw .noEndRecord(fileBytes: bytes.count) }
    var entryCount = bytes.u16(end + 10)
    var directorySize = bytes.u32(end + 12)
    var directoryOffset = bytes.u32(end + 16)
    if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
      let locator = end - 20
      guard locator >= 0, bytes.u32(locator) == 0x0706_4B50 else {
        throw .badDirectory("the end record defers to a ZIP64 end record, but there is no ZIP64 locator before it")
      }
      let zip64End = bytes.u64(locator + 8)
      guard zip64End >= 0, zip64End + 56 <= bytes.count, bytes.u32(zip64End) == 0x0606_4B50 else {
        throw .badDirectory("the ZIP64 locator points to byte \(zip64End), where there is no ZIP64 end record")
      }
      entryCount = bytes.u64(zip64End + 32)
      directorySize = bytes.u64(zip64End + 40)
      directoryOffset = bytes.u64(zip64End + 48)
    }
    guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= bytes.count else {
      throw .badDirectory("it is said to span bytes \(directoryOffset)..<\(directoryOffset + directorySize) of a \(bytes.count)-byte file")
    }
    var position = directoryOffset
    for index in 0..<entryCount {
      guard position + 46 <= directoryOffset + directorySize, bytes.u32(position) == 0x0201_4B50 else {
        throw .badDirectory("entry \(index + 1) of \(entryCount) is missing or has a wrong signature")
      }
      let nameLength = bytes.u16(position + 28)
      let extraLength = bytes.u16(position + 30)
      let commentLength = bytes.u16(position + 32)
      let next = position + 46 + nameLength + extraLength + commentLength
      guard next <= directoryOffset + directorySize else {
        throw .badDirectory("entry \(index + 1) runs past the end of the directory")
      }
      let flags = UInt16(bytes.u16(position + 8))
      let nameData = Data(bytes.raw[(position + 46)..<(position + 46 + nameLength)])
      let name = String(data: nameData, encoding: .utf8) ?? String(nameData.map { Character(Unicode.Scalar($0)) })
      var member = Member(
        name: name, method: UInt16(bytes.u16(position + 10)), flags: flags, crc32: UInt32(bytes.u32(position + 16)),
        compressedSize: bytes.u32(position + 20), uncompressedSize: bytes.u32(position + 24),
        localHeaderOffset: bytes.u32(position + 42))
      try Self.applyZip64(bytes, extraStart: position + 46 + nameLength, extraLength: extraLength, to: &member)
      members.append(member)
      position = next
    }
  }

  /// Replaces the 0xFFFFFFFF fields of `member` with the 8-byte values of the ZIP64 extra field,
  /// which lists them in the order uncompressed size, compressed size, local header offset.
  private static func applyZip64(_ bytes: Bytes, extraStart: Int, extraLength: Int, to member: inout Member) throws(Failure) {
    let needed = [member.uncompressedSize, member.compressedSize, member.localHeaderOffset].filter { $0 == 0xFFFF_FFFF }.count
    guard needed > 0 else { return }
    var position = extraStart
    while position + 4 <= extraStart + extraLength {
      let id = bytes.u16(position)
      let size = bytes.u16(position + 2)
      if id == 0x0001 {
        guard size >= 8 * needed, position + 4 + size <= extraStart + extraLength else { break }
        var field = position + 4
        if member.uncompressedSize == 0xFFFF_FFFF { member.uncompressedSize = bytes.u64(field); field += 8 }
        if member.compressedSize == 0xFFFF_FFFF { member.compressedSize = bytes.u64(field); field += 8 }
        if member.localHeaderOffset == 0xFFFF_FFFF { member.localHeaderOffset = bytes.u64(field) }
        return
      }
      position += 4 + size
    }
    throw .badDirectory("entry \(member.name) marks its sizes as ZIP64 but has no ZIP64 extra field holding them")
  }

  /// The end-of-central-directory record: 22 bytes plus a comment of up to 65 535 bytes.
  private static func findEndRecord(_ bytes: Bytes) -> Int? {
    guard bytes.count >= 22 else { return nil }
    let lowest = max(0, bytes.count - 22 - 0xFFFF)
    var position = bytes.count - 22
    while position >= lowest {
      if bytes.u32(position) == 0x0605_4B50, position + 22 + bytes.u16(position + 20) == bytes.count { return position }
      position -= 1
    }
    return nil
  }

  /// The original bytes of `member`, inflated if needed and checked against its CRC-32.
  func contents(of member: Member) throws(Failure) -> Data {
    func fail(_ reason: String) -> Failure { .badMember(name: member.name, reason: reason) }
    if member.flags & 1 != 0 { throw fail("it is encrypted") }
    let local = member.localHeaderOffset
    guard local >= 0, local + 30 <= bytes.count, bytes.u32(local) == 0x0403_4B50 else {
      throw fail("its local header at byte \(local) is missing")
    }
    let start = local + 30 + bytes.u16(local + 26) + bytes.u16(local + 28)
    guard member.compressedSize >= 0, start + member.compressedSize <= bytes.count else {
      throw fail("its \(member.compressedSize) bytes of data run past the end of the file")
    }
    let stored = Data(bytes.raw[start..<(start + member.compressedSize)])
    let contents: Data
    switch member.method {
    case 0:
      guard member.compressedSize == member.uncompressedSize else {
        throw fail("it is stored uncompressed, yet its sizes differ (\(member.compressedSize) and \(member.uncompressedSize) bytes)")
      }
      contents = stored
    case 8:
      guard member.uncompressedSize <= Self.maximumInflatedSize else {
        throw fail("it would inflate to \(member.uncompressedSize) bytes, more than the \(Self.maximumInflatedSize) an array member may hold")
      }
      do {
        contents = try RawDeflate.inflate(stored, expectedSize: member.uncompressedSize)
      } catch {
        throw fail(error.description)
      }
    default:
      let names: [UInt16: String] = [12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ"]
      throw fail("it uses compression method \(member.method)\(names[member.method].map { " (\($0))" } ?? ""); expected stored (0) or deflated (8), as np.savez and np.savez_compressed write")
    }
    let crc = RawDeflate.crc32(contents)
    guard crc == member.crc32 else {
      throw fail(String(format: "its CRC-32 is %08X but the directory records %08X, so the data is corrupt", crc, member.crc32))
    }
    return contents
  }

  /// Little-endian reads at byte offsets; out-of-range reads give 0 (callers check bounds first).
  struct Bytes {
    let raw: [UInt8]
    init(_ data: Data) { raw = [UInt8](data) }
    var count: Int { raw.count }
    func u16(_ i: Int) -> Int { uint(i, 2) }
    func u32(_ i: Int) -> Int { uint(i, 4) }
    /// 8-byte values above Int.max come back negative, which every caller rejects.
    func u64(_ i: Int) -> Int { Int(truncatingIfNeeded: UInt64(truncatingIfNeeded: uint(i, 8))) }
    private func uint(_ i: Int, _ n: Int) -> Int {
      guard i >= 0, i + n <= raw.count else { return 0 }
      var value: UInt64 = 0
      for k in stride(from: n - 1, through: 0, by: -1) { value = value << 8 | UInt64(raw[i + k]) }
      return Int(truncatingIfNeeded: value)
    }
  }
}
