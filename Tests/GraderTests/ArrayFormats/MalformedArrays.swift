import CZlib
import Foundation
import Jacobians

@testable import Grader

/// Byte-level builders of malformed array files. Every hostile input of the tests is generated
/// here, in the test, from a few parameters; none is stored in the repository.
enum MalformedArrays {
  // MARK: .npy

  /// A `.npy` file with `header` written as given (no padding), version 1 (2-byte length) or
  /// 2 (4-byte length), then `data`. `length` overrides the header length field.
  static func npy(header: String, version: UInt8 = 1, length: UInt32? = nil, data: Data = Data()) -> Data {
    var out = Data(NpyFormat.magic)
    out.append(contentsOf: [version, 0])
    let text = Array(header.utf8)
    let declared = length ?? UInt32(text.count)
    if version == 1 { out.appendLE(UInt16(truncatingIfNeeded: declared)) } else { out.appendLE(declared) }
    out.append(contentsOf: text)
    out.append(data)
    return out
  }

  /// The dict NumPy writes, with `shape` spelt as given: `(2, 3)`, `(-1,)`.
  static func npyHeader(shape: String, descr: String = "<f8") -> String {
    "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
  }

  // MARK: ZIP

  /// One member of a hand-built archive; every field a reader trusts can be overridden.
  struct ZipEntry {
    var name: String
    var method: UInt16 = 0
    /// The bytes as written after the local header (deflated when `method` is 8).
    var stored: Data
    var crc: UInt32
    var uncompressedSize: UInt64
    /// Overrides of the central directory's fields.
    var centralCompressedSize: UInt64? = nil
    var centralUncompressedSize: UInt64? = nil
    var centralOffset: UInt64? = nil
    /// Central sizes and offset as 0xFFFFFFFF with a ZIP64 extra field holding them.
    var zip64 = false
    /// Overrides of the local header's fields.
    var localName: String? = nil
    var localMethod: UInt16? = nil

    /// A member holding `contents`, stored or deflated, with its true CRC-32 and sizes.
    static func of(_ name: String, _ contents: Data, deflated: Bool = false) -> ZipEntry {
      ZipEntry(name: name, method: deflated ? 8 : 0, stored: deflated ? RawDeflate.deflate(contents) : contents,
               crc: RawDeflate.crc32(contents), uncompressedSize: UInt64(contents.count))
    }
  }

  /// Overrides of the ZIP64 end record and its locator; when given, the classic end record
  /// defers to them (0xFFFF and 0xFFFFFFFF in its count, size and offset).
  struct Zip64Tail {
    var entryCount: UInt64? = nil
    var directorySize: UInt64? = nil
    var directoryOffset: UInt64? = nil
    /// Where the locator says the ZIP64 end record is.
    var recordOffset: UInt64? = nil
  }

  static func zip(_ entries: [ZipEntry], tail: Zip64Tail? = nil) -> Data {
    var body = Data()
    var central = Data()
    for entry in entries {
      let offset = UInt64(body.count)
      let localName = Data((entry.localName ?? entry.name).utf8)
      body.appendLE(UInt32(0x0403_4B50))
      body.appendLE(UInt16(20))
      body.appendLE(UInt16(0))
      body.appendLE(entry.localMethod ?? entry.method)
      body.appendLE(UInt16(0))
      body.appendLE(UInt16(33))
      body.appendLE(entry.crc)
      body.appendLE(UInt32(0xFFFF_FFFF))  // sizes in the directory, as np.savez leaves them
      body.appendLE(UInt32(0xFFFF_FFFF))
      body.appendLE(UInt16(localName.count))
      body.appendLE(UInt16(0))
      body.append(localName)
      body.append(entry.stored)

      let compressed = entry.centralCompressedSize ?? UInt64(entry.stored.count)
      let uncompressed = entry.centralUncompressedSize ?? entry.uncompressedSize
      let localOffset = entry.centralOffset ?? offset
      let name = Data(entry.name.utf8)
      var extra = Data()
      if entry.zip64 {
        extra.appendLE(UInt16(1))
        extra.appendLE(UInt16(24))
        extra.appendLE(uncompressed)
        extra.appendLE(compressed)
        extra.appendLE(localOffset)
      }
      func field(_ value: UInt64) -> UInt32 { entry.zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: value) }
      central.appendLE(UInt32(0x0201_4B50))
      central.appendLE(UInt16(45))
      central.appendLE(UInt16(45))
      central.appendLE(UInt16(0))
      central.appendLE(entry.method)
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(33))
      central.appendLE(entry.crc)
      central.appendLE(field(compressed))
      central.appendLE(field(uncompressed))
      central.appendLE(UInt16(name.count))
      central.appendLE(UInt16(extra.count))
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(0))
      central.appendLE(UInt16(0))
      central.appendLE(UInt32(0))
      central.appendLE(field(localOffset))
      central.append(name)
      central.append(extra)
    }
    var out = body
    let directoryOffset = UInt64(out.count)
    out.append(central)
    if let tail {
      let record = UInt64(out.count)
      out.appendLE(UInt32(0x0606_4B50))
      out.appendLE(UInt64(44))
      out.appendLE(UInt16(45))
      out.appendLE(UInt16(45))
      out.appendLE(UInt32(0))
      out.appendLE(UInt32(0))
      out.appendLE(tail.entryCount ?? UInt64(entries.count))
      out.appendLE(tail.entryCount ?? UInt64(entries.count))
      out.appendLE(tail.directorySize ?? UInt64(central.count))
      out.appendLE(tail.directoryOffset ?? directoryOffset)
      out.appendLE(UInt32(0x0706_4B50))
      out.appendLE(UInt32(0))
      out.appendLE(tail.recordOffset ?? record)
      out.appendLE(UInt32(1))
    }
    out.appendLE(UInt32(0x0605_4B50))
    out.appendLE(UInt16(0))
    out.appendLE(UInt16(0))
    out.appendLE(tail == nil ? UInt16(entries.count) : 0xFFFF)
    out.appendLE(tail == nil ? UInt16(entries.count) : 0xFFFF)
    out.appendLE(tail == nil ? UInt32(central.count) : 0xFFFF_FFFF)
    out.appendLE(tail == nil ? UInt32(directoryOffset) : 0xFFFF_FFFF)
    out.appendLE(UInt16(0))
    return out
  }

  /// A small valid `.npy` member.
  static let smallNpy = NpyFormat.encode(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))

  // MARK: The deflate bomb

  /// A `.npy` of 1 GiB — header and 134 217 712 zero `<f8` entries — as one raw DEFLATE stream
  /// of about 1 MB, with its CRC-32 and size.
  ///
  /// Built without holding 1 GiB: zlib compresses 1 MiB pieces with `Z_FULL_FLUSH`, which
  /// resets its state, so every piece of zeros after the first compresses to the same bytes;
  /// the stream is the first piece, that repeated piece 1 022 times, and a final piece.
  struct Bomb: Sendable {
    var stream: Data
    var crc: UInt32
    var size: Int
  }

  static let bomb: Bomb = {
    let piece = 1 << 20
    let pieces = 1 << 10
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\((pieces * piece - 128) / 8),), }"
    var text = Array(header.utf8)
    text += [UInt8](repeating: 0x20, count: 128 - 10 - 1 - text.count) + [0x0A]
    var first = Data(NpyFormat.magic) + Data([1, 0, UInt8(text.count), 0]) + Data(text)
    precondition(first.count == 128)
    first.append(Data(count: piece - 128))
    let zeros = Data(count: piece)

    var stream = z_stream()
    precondition(deflateInit2_(&stream, 9, Z_DEFLATED, -15, 9, Z_RLE, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    func compress(_ input: Data, _ flush: Int32) -> Data {
      var input = [UInt8](input)
      var output = [UInt8](repeating: 0, count: 1 << 16)
      var produced = 0
      input.withUnsafeMutableBufferPointer { inputBuffer in
        output.withUnsafeMutableBufferPointer { outputBuffer in
          stream.next_in = inputBuffer.baseAddress
          stream.avail_in = uInt(inputBuffer.count)
          stream.next_out = outputBuffer.baseAddress
          stream.avail_out = uInt(outputBuffer.count)
          _ = CZlib.deflate(&stream, flush)
          precondition(stream.avail_in == 0 && stream.avail_out > 0)
          produced = outputBuffer.count - Int(stream.avail_out)
        }
      }
      return Data(output[0..<produced])
    }
    var result = compress(first, Z_FULL_FLUSH)
    let repeated = compress(zeros, Z_FULL_FLUSH)
    precondition(compress(zeros, Z_FULL_FLUSH) == repeated, "a full flush resets deflate, so equal pieces compress alike")
    for _ in 0..<(pieces - 2) { result.append(repeated) }
    result.append(compress(zeros, Z_FINISH))

    var crc = RawDeflate.crc32(first)
    let zerosCRC = RawDeflate.crc32(zeros)
    for _ in 1..<pieces { crc = UInt32(crc32_combine(uLong(crc), uLong(zerosCRC), .init(piece))) }
    return Bomb(stream: result, crc: crc, size: pieces * piece)
  }()

  /// The bomb as archive member `name`, its directory giving the true size or `declaredSize`.
  static func bombEntry(_ name: String, declaredSize: Int? = nil) -> ZipEntry {
    ZipEntry(name: name, method: 8, stored: bomb.stream, crc: bomb.crc, uncompressedSize: UInt64(declaredSize ?? bomb.size))
  }

  // MARK: safetensors

  static func safetensors(header: String, dataBytes: Int = 0, declaredLength: UInt64? = nil) -> Data {
    var out = Data()
    out.appendLE(declaredLength ?? UInt64(header.utf8.count))
    out.append(contentsOf: Array(header.utf8))
    out.append(Data(count: dataBytes))
    return out
  }

  // MARK: JSON

  /// `[[…[x, 0]…, 0], 0]`: `levels` lists, each of two entries, the first nested. Its shape, as
  /// the first entries spell it, is 2 × 2 × … × 2 (`levels` times): 2^levels entries.
  static func binaryNest(levels: Int) -> Data {
    Data((String(repeating: "[", count: levels) + "1" + String(repeating: ",0]", count: levels)).utf8)
  }
}
