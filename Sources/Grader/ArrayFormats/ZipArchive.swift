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
/// how Python's `zipfile` (and so `np.savez`) marks them. Local headers give where a member's
/// data starts and must agree with the directory (name, method, CRC-32, compressed size unless a
/// 0xFFFFFFFF placeholder or a data descriptor stands in for them).
///
/// Members stored (method 0) and deflated (method 8) are read; each is checked against its CRC-32.
/// No offset or size is trusted: each is checked against the file's length, with the
/// comparisons written as differences so that 8-byte ZIP64 values near 2⁶³ cannot overflow.
struct ZipArchive: Sendable {
  struct Member: Sendable, Equatable {
    var name: String
    var method: UInt16
    var flags: UInt16
    var crc32: UInt32
    var compressedSize: Int
    var uncompressedSize: Int
    var localHeaderOffset: Int
    /// The name as stored, to compare with the local header's.
    var nameBytes: [UInt8] = []

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

  /// Bytes of a central directory entry before its name.
  static let centralEntryBytes = 46
  /// Bytes of a local header before its name.
  static let localHeaderBytes = 30

  private let bytes: Bytes
  private(set) var members: [Member] = []

  /// Reads the central directory of `data`. Every offset and size read from it — the 8-byte
  /// ZIP64 ones included, which may exceed `Int.max` — is checked to lie within the file before
  /// it is used, with no sum that could overflow.
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
      guard zip64End >= 0, zip64End <= bytes.count - 56, bytes.u32(zip64End) == 0x0606_4B50 else {
        throw .badDirectory("the ZIP64 locator points to byte \(Self.unsigned(zip64End)), where there is no ZIP64 end record in the \(bytes.count)-byte file")
      }
      entryCount = bytes.u64(zip64End + 32)
      directorySize = bytes.u64(zip64End + 40)
      directoryOffset = bytes.u64(zip64End + 48)
    }
    guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
      throw .badDirectory("it is said to take \(Self.unsigned(directorySize)) bytes from byte \(Self.unsigned(directoryOffset)), beyond the end of the \(bytes.count)-byte file")
    }
    guard entryCount >= 0, entryCount <= directorySize / Self.centralEntryBytes else {
      throw .badDirectory("it is said to hold \(Self.unsigned(entryCount)) entries, more than its \(directorySize) bytes can (\(Self.centralEntryBytes) bytes or more each)")
    }
    let directoryEnd = directoryOffset + directorySize
    var position = directoryOffset
    members.reserveCapacity(entryCount)
    for index in 0..<entryCount {
      guard position <= directoryEnd - Self.centralEntryBytes, bytes.u32(position) == 0x0201_4B50 else {
        throw .badDirectory("entry \(index + 1) of \(entryCount) is missing or has a wrong signature")
      }
      let nameLength = bytes.u16(position + 28)
      let extraLength = bytes.u16(position + 30)
      let commentLength = bytes.u16(position + 32)
      // position ≤ the file's size and each length < 2¹⁶: no overflow.
      let next = position + Self.centralEntryBytes + nameLength + extraLength + commentLength
      guard next <= directoryEnd else {
        throw .badDirectory("entry \(index + 1) runs past the end of the directory")
      }
      let flags = UInt16(bytes.u16(position + 8))
      let nameBytes = Array(bytes.raw[(position + 46)..<(position + 46 + nameLength)])
      let name = String(bytes: nameBytes, encoding: .utf8) ?? String(nameBytes.map { Character(Unicode.Scalar($0)) })
      var member = Member(
        name: name, method: UInt16(bytes.u16(position + 10)), flags: flags, crc32: UInt32(bytes.u32(position + 16)),
        compressedSize: bytes.u32(position + 20), uncompressedSize: bytes.u32(position + 24),
        localHeaderOffset: bytes.u32(position + 42), nameBytes: nameBytes)
      try Self.applyZip64(bytes, extraStart: position + 46 + nameLength, extraLength: extraLength, to: &member)
      members.append(member)
      position = next
    }
  }

  /// An 8-byte field for messages: values above `Int.max` (read back negative) as unsigned.
  private static func unsigned(_ value: Int) -> String { String(UInt64(bitPattern: Int64(value))) }

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

  /// Where the stored bytes of `member` lie, after checking its local header against the
  /// central directory (signature, name, method; CRC-32 and compressed size unless bit 3 defers
  /// them to a data descriptor or ZIP64 leaves them 0xFFFFFFFF) and its sizes against the file.
  func dataRange(of member: Member) throws(Failure) -> Range<Int> {
    func fail(_ reason: String) -> Failure { .badMember(name: member.name, reason: reason) }
    if member.flags & 1 != 0 { throw fail("it is encrypted") }
    let local = member.localHeaderOffset
    guard local >= 0, local <= bytes.count - Self.localHeaderBytes, bytes.u32(local) == 0x0403_4B50 else {
      throw fail("its local header at byte \(Self.unsigned(local)) is missing (the file has \(bytes.count) bytes)")
    }
    let nameLength = bytes.u16(local + 26)
    let start = local + Self.localHeaderBytes + nameLength + bytes.u16(local + 28)
    guard start <= bytes.count else { throw fail("its local header runs past the end of the file") }
    let localName = bytes.raw[(local + 30)..<(local + 30 + nameLength)]
    guard localName.elementsEqual(member.nameBytes) else {
      let shown = String(bytes: Array(localName), encoding: .utf8) ?? "\(nameLength) other bytes"
      throw fail("its local header names it \(shown), so the archive contradicts itself; expected the same name in both")
    }
    let localMethod = bytes.u16(local + 8)
    guard localMethod == Int(member.method) else {
      throw fail("its local header gives compression method \(localMethod) but the central directory \(member.method), so the archive contradicts itself")
    }
    if bytes.u16(local + 6) & 0x08 == 0 {
      let localCRC = bytes.u32(local + 14)
      let localCompressed = bytes.u32(local + 18)
      guard localCRC == Int(member.crc32) else {
        throw fail(String(format: "its local header gives CRC-32 %08X but the central directory %08X, so the archive contradicts itself", localCRC, member.crc32))
      }
      guard localCompressed == 0xFFFF_FFFF || localCompressed == member.compressedSize else {
        throw fail("its local header gives \(localCompressed) bytes of data but the central directory \(Self.unsigned(member.compressedSize)), so the archive contradicts itself")
      }
    }
    guard member.compressedSize >= 0, member.compressedSize <= bytes.count - start else {
      throw fail("its \(Self.unsigned(member.compressedSize)) bytes of data, from byte \(start), run past the end of the \(bytes.count)-byte file")
    }
    guard member.uncompressedSize >= 0 else {
      throw fail("its inflated size \(Self.unsigned(member.uncompressedSize)) bytes is beyond any file")
    }
    return start..<(start + member.compressedSize)
  }

  /// The original bytes of `member`, inflated if needed and checked against its CRC-32. The
  /// caller has checked `member.uncompressedSize` against its limits: inflating stops as soon as
  /// the output passes that size, whatever the stream holds.
  func contents(of member: Member) throws(Failure) -> Data {
    func fail(_ reason: String) -> Failure { .badMember(name: member.name, reason: reason) }
    let range = try dataRange(of: member)
    let stored = Data(bytes.raw[range])
    let contents: Data
    switch member.method {
    case 0:
      guard member.compressedSize == member.uncompressedSize else {
        throw fail("it is stored uncompressed, yet its sizes differ (\(member.compressedSize) and \(member.uncompressedSize) bytes)")
      }
      contents = stored
    case 8:
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
      // Written as a difference so that an offset near Int.max cannot overflow.
      guard i >= 0, i <= raw.count - n else { return 0 }
      var value: UInt64 = 0
      for k in stride(from: n - 1, through: 0, by: -1) { value = value << 8 | UInt64(raw[i + k]) }
      return Int(truncatingIfNeeded: value)
    }
  }
}
