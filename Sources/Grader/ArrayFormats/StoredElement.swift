import Foundation

/// How one array entry is laid out in a file: its kind, its width in bytes and its byte order.
///
/// Both `.npy` and `.safetensors` store an array as `count × size` raw bytes; this type turns
/// those bytes into the `Double` entries of a `Tensor` and back.
///
/// ```
/// bytes needed = count · size        count = product of the shape (1 for a scalar)
/// ```
///
/// Edge Cases:
/// - Half precision (`f2`, `F16`) and bfloat16 (`BF16`) are widened exactly to `float32`.
/// - Narrow integers and booleans (`i1`, `i2`, `u1`, `u2`, `b1`) are widened to `int32`,
///   `u4` and `u8` to `int64`; every value is exact in `Double` up to 2⁵³.
struct StoredElement: Sendable, Equatable {
  enum Kind: Sendable, Equatable {
    case float, bfloat, signed, unsigned, boolean
  }

  var kind: Kind
  /// Bytes per entry.
  var size: Int
  var bigEndian: Bool

  /// The dtype a `Tensor` read with this layout reports.
  var dtype: DType {
    switch kind {
    case .float: return size == 8 ? .float64 : .float32
    case .bfloat: return .float32
    case .signed: return size == 8 ? .int64 : .int32
    case .unsigned: return size >= 4 ? .int64 : .int32
    case .boolean: return .int32
    }
  }

  /// The layout a tensor of `dtype` is written with: 8-byte little-endian floats or integers.
  static func written(for dtype: DType) -> StoredElement {
    StoredElement(kind: dtype.isFloatingPoint ? .float : .signed, size: 8, bigEndian: false)
  }

  /// Reads `count` entries starting `offset` bytes after the first byte of `data`; the caller has
  /// checked that the bytes exist.
  func decode(_ data: Data, offset: Int, count: Int) -> [Double] {
    var result = [Double](repeating: 0, count: count)
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      for i in 0..<count {
        let bits = word(raw, at: offset + i * size)
        result[i] = value(of: bits)
      }
    }
    return result
  }

  /// The raw bytes of one entry as an unsigned integer in native order.
  private func word(_ raw: UnsafeRawBufferPointer, at position: Int) -> UInt64 {
    var bits: UInt64 = 0
    if bigEndian {
      for k in 0..<size { bits = bits << 8 | UInt64(raw[position + k]) }
    } else {
      for k in stride(from: size - 1, through: 0, by: -1) { bits = bits << 8 | UInt64(raw[position + k]) }
    }
    return bits
  }

  private func value(of bits: UInt64) -> Double {
    switch kind {
    case .float:
      switch size {
      case 2: return Double(StoredElement.halfToFloat(UInt16(truncatingIfNeeded: bits)))
      case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
      default: return Double(bitPattern: bits)
      }
    case .bfloat:
      return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits) << 16))
    case .signed:
      let shift = UInt64(64 - 8 * size)
      return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
    case .unsigned:
      return Double(bits)
    case .boolean:
      return bits == 0 ? 0 : 1
    }
  }

  /// Appends `scalars` in this layout (only 8-byte little-endian floats and integers are written).
  func encode(_ scalars: [Double], into data: inout Data) {
    precondition(size == 8 && !bigEndian && (kind == .float || kind == .signed), "only <f8 and <i8 are written")
    data.reserveCapacity(data.count + scalars.count * 8)
    for x in scalars {
      let bits: UInt64
      if kind == .float {
        bits = x.bitPattern
      } else {
        // Integer tensors hold integral values; anything outside Int64 is clamped.
        let clamped = x.isNaN ? 0 : min(max(x, -9.223372036854775808e18), 9.223372036854774784e18)
        bits = UInt64(bitPattern: Int64(clamped))
      }
      withUnsafeBytes(of: bits.littleEndian) { data.append(contentsOf: $0) }
    }
  }

  /// IEEE 754 binary16 → binary32, exactly (subnormals, infinities and NaN included).
  static func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let fraction = UInt32(h & 0x3FF)
    if exponent == 0x1F {
      return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
    }
    if exponent == 0 {
      // Subnormal or zero: fraction · 2⁻²⁴.
      let magnitude = Float(fraction) * Float(sign: .plus, exponent: -24, significand: 1)
      return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
  }
}
