import CZlib
import Foundation

/// Raw DEFLATE streams (RFC 1951, no zlib or gzip wrapper) and CRC-32, as ZIP members use them.
///
/// ```
/// inflate:  inflateInit2(windowBits: −15)      compressed → original bytes
/// deflate:  deflateInit2(level 6, windowBits: −15, memLevel 8)
/// crc32:    the ZIP checksum of the original bytes
/// ```
enum RawDeflate {
  /// Why a raw DEFLATE stream cannot be inflated.
  struct InflateError: Error, Sendable, Equatable, CustomStringConvertible {
    var description: String
  }

  /// Inflates `compressed`, which must decode to exactly `expectedSize` bytes.
  ///
  /// The output grows as zlib produces it, in steps of at most `chunk` bytes, and inflating
  /// stops as soon as the running total passes `expectedSize`: a stream that decodes to more
  /// than it declares costs at most `expectedSize + chunk` bytes, never what it would inflate to.
  static func inflate(_ compressed: Data, expectedSize: Int, chunk: Int = 1 << 16) throws(InflateError) -> Data {
    guard expectedSize >= 0, expectedSize < Int.max, chunk > 0 else {
      throw InflateError(description: "the directory gives an inflated size of \(expectedSize) bytes, which no member can have")
    }
    var stream = z_stream()
    guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw InflateError(description: "zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var input = [UInt8](compressed)
    var output = [UInt8]()
    var piece = [UInt8](repeating: 0, count: min(chunk, expectedSize + 1))
    var status: Int32 = Z_OK
    input.withUnsafeMutableBufferPointer { inputBuffer in
      stream.next_in = inputBuffer.baseAddress
      var remainingIn = inputBuffer.count
      repeat {
        let chunkIn = min(remainingIn, Int(UInt32.max))
        stream.avail_in = uInt(chunkIn)
        // One byte past `expectedSize` shows a stream that holds more than it should.
        let room = min(piece.count, expectedSize + 1 - output.count)
        let produced: Int = piece.withUnsafeMutableBufferPointer { pieceBuffer in
          stream.next_out = pieceBuffer.baseAddress
          stream.avail_out = uInt(room)
          status = CZlib.inflate(&stream, Z_NO_FLUSH)
          return room - Int(stream.avail_out)
        }
        remainingIn -= chunkIn - Int(stream.avail_in)
        output += piece[0..<produced]
        // Stop on the end of the stream, an error, the running total past the declared size,
        // or no progress with all input consumed.
        if status != Z_OK || output.count > expectedSize || (produced == 0 && remainingIn == 0) { break }
      } while true
    }
    let produced = output.count
    switch status {
    case Z_STREAM_END:
      guard produced == expectedSize else {
        throw InflateError(description: "the deflated data decodes to \(produced) bytes, but the directory says \(expectedSize)")
      }
      return Data(output)
    case Z_DATA_ERROR:
      let reason = stream.msg.map { String(cString: $0) } ?? "invalid data"
      throw InflateError(description: "the deflated data is corrupt (zlib: \(reason))")
    case Z_OK, Z_BUF_ERROR:
      if produced > expectedSize {
        throw InflateError(description: "the deflated data decodes to more than the \(expectedSize) bytes the directory gives")
      }
      throw InflateError(description: "the deflated data ends early, after \(produced) of \(expectedSize) bytes")
    default:
      throw InflateError(description: "zlib failed with status \(status) while inflating")
    }
  }

  /// Deflates `data` into a raw DEFLATE stream.
  static func deflate(_ data: Data) -> Data {
    var stream = z_stream()
    let started = deflateInit2_(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    precondition(started == Z_OK, "zlib could not start deflating (status \(started))")
    defer { deflateEnd(&stream) }
    var input = [UInt8](data)
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
    var status: Int32 = Z_OK
    var produced = 0
    input.withUnsafeMutableBufferPointer { inputBuffer in
      output.withUnsafeMutableBufferPointer { outputBuffer in
        stream.next_in = inputBuffer.baseAddress
        stream.avail_in = uInt(inputBuffer.count)
        stream.next_out = outputBuffer.baseAddress
        stream.avail_out = uInt(outputBuffer.count)
        status = CZlib.deflate(&stream, Z_FINISH)
        produced = outputBuffer.count - Int(stream.avail_out)
      }
    }
    precondition(status == Z_STREAM_END, "zlib deflate did not finish in one call (status \(status))")
    return Data(output[0..<produced])
  }

  /// The CRC-32 of `data` (ZIP, PNG and zlib's `crc32`).
  static func crc32(_ data: Data) -> UInt32 {
    var crc = CZlib.crc32(0, nil, 0)
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      guard var pointer = raw.bindMemory(to: Bytef.self).baseAddress else { return }
      var remaining = raw.count
      while remaining > 0 {
        let chunk = min(remaining, 1 << 30)
        crc = CZlib.crc32(crc, pointer, uInt(chunk))
        pointer += chunk
        remaining -= chunk
      }
    }
    return UInt32(crc)
  }
}
